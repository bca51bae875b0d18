// Latency of whole integer graphs on the fast executor: batch 1, one thread,
// one benchmark per NET.tq.json named on the command line (bench/peer/run.sh
// runs it against ONNX Runtime; docs/benchmarks.md, "MLPerf Tiny networks").
// With --benchmark_repetitions=N each benchmark also reports a "min" aggregate.
// --threads=N runs on ExecutorOptions::threads = N and times wall clock (UseRealTime).
//   bench_graph [--benchmark_* flags] [--threads=N] NET.tq.json...
#include <benchmark/benchmark.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ir/serialize.h"
#include "runtime/executor.h"

namespace {

using namespace bitlab;

int g_threads = 1;  // --threads=N

void BM_Graph(benchmark::State& state, const ir::Graph& graph) {
  runtime::ExecutorOptions options;
  options.batch = 1;
  options.threads = g_threads;
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

// Under load (shared machines) the mean over wall time varies up to 2x between
// runs; the minimum CPU time over repetitions is what the code costs when
// nothing preempts it, so bench/peer/run.sh reads the "min" aggregate.
double min_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);  // removes the --benchmark_* flags
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with("--threads=")) {
      argv[kept++] = argv[i];
      continue;
    }
    const std::string_view value = arg.substr(10);
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), g_threads);
    if (error != std::errc() || end != value.data() + value.size() || g_threads < 1) {
      std::fprintf(stderr, "bench_graph: --threads=%.*s: expected a whole number ≥ 1, e.g. --threads=2\n",
                   static_cast<int>(value.size()), value.data());
      return 2;
    }
  }
  argc = kept;
  std::vector<ir::Graph> graphs;
  graphs.reserve(static_cast<std::size_t>(argc));
  for (int i = 1; i < argc; ++i) graphs.push_back(ir::load_graph(argv[i]));
  if (graphs.empty()) {
    std::fprintf(stderr, "usage: bench_graph [--benchmark_* flags] [--threads=N] NET.tq.json...\n");
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    const ir::Graph& g = graphs[static_cast<std::size_t>(i - 1)];
    benchmark::RegisterBenchmark(std::filesystem::path(argv[i]).filename().string().c_str(),
                                 [&g](benchmark::State& s) { BM_Graph(s, g); })
        ->Unit(benchmark::kMicrosecond)
        ->ComputeStatistics("min", min_of);
  }
  // With threads the main thread's CPU time misses the workers': time wall clock, and
  // report every thread's CPU time beside it.
  if (g_threads > 1) benchmark::ClearRegisteredBenchmarks();
  for (int i = 1; i < argc && g_threads > 1; ++i) {
    const ir::Graph& g = graphs[static_cast<std::size_t>(i - 1)];
    const std::string name = std::filesystem::path(argv[i]).filename().string() + "/threads:" + std::to_string(g_threads);
    benchmark::RegisterBenchmark(name.c_str(), [&g](benchmark::State& s) { BM_Graph(s, g); })
        ->Unit(benchmark::kMicrosecond)
        ->ComputeStatistics("min", min_of)
        ->MeasureProcessCPUTime()
        ->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
