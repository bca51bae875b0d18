// One training step (forward, backward, optimiser step) of the Fashion-MNIST CNN,
// float versus fake-quantised with each QAT algorithm, on the same model and
// batch, in one run. Prints the ratio of each to the float step: the cost of QAT.
// "<algorithm>/reference" runs the algorithms that have fused kernels (ste,
// pact, lsq; train/quantizers/fused/) on their unfused reference graphs.
//
//   build/bench/bench_qat_step [--benchmark_min_time=2]
//
// On a loaded machine the CPU-time ratio is the fairer one: wall time also
// counts the time other processes held the core.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <map>
#include <optional>

#include <fmt/format.h>

#include "train/editing/fold_batchnorm.h"
#include "train/editing/quantize_model.h"
#include "train/quantizers/fused/fake_quant.h"
#include "train/quantizers/quantizer.h"
#include "zoo/fmnist_cnn.h"

namespace {

using namespace bitlab;

constexpr int64_t kBatch = 128;

// Float baseline with BatchNorm folded too, so both sides run the same layers.
std::shared_ptr<train::Classifier> make_network(const std::string& algorithm) {
  torch::manual_seed(0);
  auto net = zoo::FmnistCnn(zoo::FmnistCnnOptions{}).ptr();
  train::fold_batchnorm(*net);
  if (algorithm == "float") return net;
  int bits = algorithm == "binary" ? 1 : (algorithm == "twn" || algorithm == "ttq") ? 2 : 8;
  auto policy = train::flat_policy(bits, 8, "ste");
  policy.weights.algorithm = algorithm;
  if (train::algorithm_supports(algorithm, train::TensorRole::kActivation) && algorithm != "binary") {
    policy.activations.algorithm = algorithm;
  }
  train::quantize_model(*net, policy);
  return net;
}

void training_step(benchmark::State& state, const std::string& algorithm, bool reference) {
  std::optional<train::fused::ReferenceOnly> unfused;  // thread-local switch; benchmarks run on this thread
  if (reference) unfused.emplace();
  torch::set_num_threads(1);
  auto net = make_network(algorithm);
  torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(1e-3));
  auto x = torch::randn({kBatch, 1, 28, 28});
  auto y = torch::randint(0, 10, {kBatch}, torch::kInt64);
  net->train();
  train::set_quantization_progress(*net, 0.5);
  for (auto _ : state) {
    optimizer.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(net->forward(x), y);
    loss.backward();
    optimizer.step();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// Collects each run's times so the ratios to "float" can be printed after the
// table. Both times are already in the benchmark's unit (ms, see main). With
// --benchmark_repetitions the medians are used.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.error_occurred) continue;
      const std::string group = r.run_type == Run::RT_Aggregate ? r.aggregate_name : "";
      times_[group][r.run_name.str()] = {r.GetAdjustedCPUTime(), r.GetAdjustedRealTime()};
    }
  }
  void print_ratios() const {
    auto group = times_.find("median");
    if (group == times_.end()) group = times_.find("");
    if (group == times_.end()) return;
    const auto& times = group->second;
    auto base = times.find("qat_step/float");
    if (base == times.end()) return;
    fmt::print("\n{:<28} {:>10} {:>10} {:>10} {:>10}\n", group->first.empty() ? "step" : "step (median)", "CPU ms",
               "wall ms", "CPU ratio", "wall ratio");
    for (const auto& [name, t] : times) {
      fmt::print("{:<28} {:>10.1f} {:>10.1f} {:>10.2f} {:>10.2f}\n", name, t.cpu, t.wall, t.cpu / base->second.cpu,
                 t.wall / base->second.wall);
    }
  }

 private:
  struct Times {
    double cpu;
    double wall;
  };
  std::map<std::string, std::map<std::string, Times>> times_;  // aggregate ("" for runs) -> name -> times
};

}  // namespace

int main(int argc, char** argv) {
  auto add = [](const std::string& name, const std::string& algorithm, bool reference) {
    benchmark::RegisterBenchmark(("qat_step/" + name).c_str(), training_step, algorithm, reference)
        ->Unit(benchmark::kMillisecond);
  };
  add("float", "float", false);
  for (const auto& algorithm : train::quantizer_algorithms()) {
    add(algorithm, algorithm, false);
    if (algorithm == "ste" || algorithm == "pact" || algorithm == "lsq") add(algorithm + "/reference", algorithm, true);
  }
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
