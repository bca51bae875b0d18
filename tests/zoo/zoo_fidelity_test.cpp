// ResNet-8 and DS-CNN (the MLPerf Tiny IC and KWS references), fake-quantised
// at W8A8 and at a mixed policy, calibrated on random data, traced and
// converted: the integer reference runtime equals the float64 simulation bit
// for bit on random inputs (1000 with BITLAB_ZOO_FIDELITY_INPUTS=1000), the fake-quantised float64 executor computes
// what the LibTorch model computes, and the integer graph's classes are the
// model's (docs/conversion.md, "Fidelity").
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <tuple>

#include "ir/passes/convert.h"
#include "ir/validate.h"
#include "runtime/fake_quant.h"
#include "runtime/reference.h"
#include "runtime/simulation.h"
#include "support/input_codes.h"
#include "zoo_support.h"

namespace bitlab::zoo {
namespace {

constexpr int64_t kBatch = 50;
// Random inputs per case: one batch by default, since the integer and float64
// executors are plain loops (ResNet-8 is 12.5M MACs a sample) and CI must stay
// fast. BITLAB_ZOO_FIDELITY_INPUTS=1000 runs the full evidence of
// docs/conversion.md ("The zoo"): minutes on two cores.
int rounds() {
  const char* v = std::getenv("BITLAB_ZOO_FIDELITY_INPUTS");
  const long long inputs = v ? std::atoll(v) : kBatch;
  return static_cast<int>(std::max<long long>(1, (inputs + kBatch - 1) / kBatch));
}

// Mixed precision (configs/policies/<network>-w4a6-mixed.json): 4-bit weights
// and 6-bit activations by default, 8-bit first and last layers, a 4-bit merge
// in ResNet-8's middle block, 6-bit depthwise weights in DS-CNN.
train::PrecisionPolicy mixed_policy(const std::string& network) {
  return train::load_policy(std::filesystem::path(BITLAB_SOURCE_DIR) / "configs" / "policies" /
                            (network + "-w4a6-mixed.json"));
}

torch::Tensor random_inputs(const NetworkSpec& spec, int64_t batch) {
  return torch::randn(testing::torch_shape(spec, batch));
}

// Random weights, random BN statistics folded (or trained folded), quantised
// per `policy`, activation ranges from one training-mode batch of random data.
SequentialNet quantised(const std::string& name, const train::PrecisionPolicy& policy, const std::string& batchnorm) {
  torch::manual_seed(11);
  SequentialNet net = build_zoo_network(name);
  testing::randomise_batchnorm(*net);
  if (batchnorm == "fold") train::fold_batchnorm(*net);
  train::QuantizeModelOptions options;
  options.train_batchnorm = batchnorm == "train";
  train::quantize_model(*net, policy, options);
  torch::NoGradGuard no_grad;
  net->train();
  net->forward(random_inputs(*find_network(name), 64));
  net->eval();
  return net;
}

train::TraceOptions trace_options(const NetworkSpec& spec, int64_t batch, int output_bits) {
  train::TraceOptions t;
  t.input_shape = zoo::input_shape(spec, batch);
  t.output_bits = output_bits;
  return t;
}

runtime::RealTensorMap as_real(const torch::Tensor& images) {
  const torch::Tensor x = images.to(torch::kFloat64).contiguous();
  return {{"images", {{x.sizes().begin(), x.sizes().end()}, {x.data_ptr<double>(), x.data_ptr<double>() + x.numel()}}}};
}

std::vector<double> values_of(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kFloat64).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

using Case = std::tuple<std::string, std::string>;  // network, policy
train::PrecisionPolicy policy_of(const Case& c) {
  return std::get<1>(c) == "w8a8" ? train::flat_policy(8, 8) : mixed_policy(std::get<0>(c));
}

class ZooFidelity : public ::testing::TestWithParam<Case> {};

// The traced graph is the model: in float64 both compute the same arithmetic
// up to summation order (trace_test.cpp's argument), so equal to 1e-9.
TEST_P(ZooFidelity, FakeQuantisedGraphComputesWhatTheModelComputes) {
  const auto& [name, policy] = GetParam();
  const NetworkSpec& spec = *find_network(name);
  SequentialNet net = quantised(name, policy_of(GetParam()), policy == "w8a8" ? "fold" : "train");
  net->to(torch::kFloat64);
  constexpr int64_t kSmall = 16;
  const ir::Graph graph = train::trace_model(*net, trace_options(spec, kSmall, 0));
  torch::manual_seed(5);
  const torch::Tensor images = random_inputs(spec, kSmall).to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  const std::vector<double> expected = values_of(net->forward(images));
  const std::vector<double> got = runtime::run_fake_quantised(graph, as_real(images)).at(graph.outputs[0]).values;
  ASSERT_EQ(got.size(), expected.size());
  int off = 0;
  for (std::size_t i = 0; i < got.size(); ++i) off += std::abs(got[i] - expected[i]) > 1e-9 * (1 + std::abs(expected[i]));
  EXPECT_EQ(off, 0) << "of " << got.size() << " outputs";
}

TEST_P(ZooFidelity, IntegerRuntimeEqualsSimulationOnRandomInputs) {
  const auto& [name, policy] = GetParam();
  const NetworkSpec& spec = *find_network(name);
  SequentialNet net = quantised(name, policy_of(GetParam()), policy == "w8a8" ? "fold" : "train");
  const ir::Graph fq = train::trace_model(*net, trace_options(spec, kBatch, 16));
  const ir::Graph integer = ir::passes::convert(fq);
  ASSERT_NO_THROW(ir::validate_integer_graph(integer));

  torch::manual_seed(6);
  torch::NoGradGuard no_grad;
  int64_t equal = 0, agree = 0;
  const int n_rounds = rounds();
  for (int r = 0; r < n_rounds; ++r) {
    const torch::Tensor images = random_inputs(spec, kBatch);
    const runtime::IntTensorMap codes = bitlab::testing::input_codes(fq, images);
    const runtime::IntTensorMap reference = runtime::run_reference(integer, codes);
    const runtime::IntTensorMap simulated = runtime::to_int(runtime::run_simulation(integer, runtime::to_sim(codes)));
    const runtime::IntTensor& out = reference.at(integer.outputs[0]);
    const runtime::IntTensor& sim = simulated.at(integer.outputs[0]);
    ASSERT_EQ(out.shape, (ir::Shape{kBatch, spec.outputs}));
    const torch::Tensor classes = net->forward(images).argmax(1);
    for (int64_t s = 0; s < kBatch; ++s) {
      const auto row = out.values.begin() + s * spec.outputs;
      equal += std::equal(row, row + spec.outputs, sim.values.begin() + s * spec.outputs);
      agree += std::max_element(row, row + spec.outputs) - row == classes[s].item<int64_t>();
    }
    EXPECT_EQ(reference, simulated) << "round " << r;
  }
  EXPECT_EQ(equal, kBatch * n_rounds);
  // The integer graph differs from the fake-quantised one only by one-step
  // rounding differences (docs/conversion.md), so classes agree almost always.
  EXPECT_GE(agree, kBatch * n_rounds * 95 / 100);
  std::printf("%s %s: %lld/%d bit-exact, %lld/%d argmax agree with LibTorch\n", name.c_str(), policy.c_str(),
              static_cast<long long>(equal), static_cast<int>(kBatch * n_rounds), static_cast<long long>(agree),
              static_cast<int>(kBatch * n_rounds));
}

INSTANTIATE_TEST_SUITE_P(MlperfTiny, ZooFidelity,
                         ::testing::Combine(::testing::Values("resnet8", "ds-cnn"), ::testing::Values("w8a8", "mixed")),
                         [](const auto& info) {
                           std::string n = std::get<0>(info.param) + "_" + std::get<1>(info.param);
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace bitlab::zoo
