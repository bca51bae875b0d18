// One training step (forward, backward, optimiser step) of the Fashion-MNIST CNN,
// float versus fake-quantised with each QAT algorithm, on the same model and
// batch, in one run. Prints the ratio of each to the float step: the cost of QAT.
//
//   build/bench/bench_qat_step [--benchmark_min_time=2]
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <map>

#include <fmt/format.h>

#include "train/editing/fold_batchnorm.h"
#include "train/editing/quantize_model.h"
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

void training_step(benchmark::State& state, const std::string& algorithm) {
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

// Collects each run's time so the ratios to "float" can be printed after the table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) times_[r.benchmark_name()] = r.GetAdjustedRealTime();
  }
  void print_ratios() const {
    auto base = times_.find("qat_step/float");
    if (base == times_.end()) return;
    fmt::print("\n{:<24} {:>12} {:>18}\n", "step", "ms/step", "ratio to float");
    for (const auto& [name, t] : times_) {
      fmt::print("{:<24} {:>12.2f} {:>18.2f}\n", name, t / 1e6, t / base->second);
    }
  }

 private:
  std::map<std::string, double> times_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("qat_step/float", training_step, std::string("float"))->Unit(benchmark::kMillisecond);
  for (const auto& algorithm : train::quantizer_algorithms()) {
    benchmark::RegisterBenchmark(("qat_step/" + algorithm).c_str(), training_step, algorithm)->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
