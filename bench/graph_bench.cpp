// Latency of whole integer graphs on the fast executor: batch 1, one thread,
// one benchmark per NET.tq.json named on the command line (bench/peer/run.sh
// runs it against ONNX Runtime; docs/benchmarks.md, "MLPerf Tiny networks").
//   bench_graph [--benchmark_* flags] NET.tq.json...
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <vector>

#include "ir/serialize.h"
#include "runtime/executor.h"

namespace {

using namespace bitlab;

void BM_Graph(benchmark::State& state, const ir::Graph& graph) {
  runtime::ExecutorOptions options;
  options.batch = 1;
  runtime::Executor executor(graph, options);
  std::mt19937_64 rng(7);
  for (std::size_t i = 0; i < executor.graph().inputs.size(); ++i) {
    const ir::Tensor& x = executor.graph().tensor(executor.graph().inputs[i]);
    std::uniform_int_distribution<std::int64_t> code(x.type.min_value(), x.type.max_value());
    std::vector<std::int64_t> codes(static_cast<std::size_t>(ir::num_elements(x.shape)));
    for (auto& c : codes) c = code(rng);
    executor.set_input(i, codes);
  }
  for (auto _ : state) {
    executor.run();
    benchmark::ClobberMemory();
  }
  state.SetLabel(executor.kernel_summary());
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);  // removes the --benchmark_* flags
  std::vector<ir::Graph> graphs;
  graphs.reserve(static_cast<std::size_t>(argc));
  for (int i = 1; i < argc; ++i) graphs.push_back(ir::load_graph(argv[i]));
  if (graphs.empty()) {
    std::fprintf(stderr, "usage: bench_graph [--benchmark_* flags] NET.tq.json...\n");
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    const ir::Graph& g = graphs[static_cast<std::size_t>(i - 1)];
    benchmark::RegisterBenchmark(std::filesystem::path(argv[i]).filename().string().c_str(),
                                 [&g](benchmark::State& s) { BM_Graph(s, g); })
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
