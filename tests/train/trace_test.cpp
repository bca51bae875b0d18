// The tracer against the LibTorch model it traces: the traced graph computes
// what eval() computes, and it converts to an integer graph that runs.
#include "train/trace/trace_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <tuple>

#include "common/error.h"
#include "ir/passes/convert.h"
#include "ir/validate.h"
#include "quant/uniform.h"
#include "runtime/fake_quant.h"
#include "runtime/reference.h"
#include "runtime/simulation.h"
#include "support/input_codes.h"
#include "train/editing/fold_batchnorm.h"
#include "train/editing/quantize_model.h"
#include "zoo/fmnist_cnn.h"

namespace bitlab::train {
namespace {

constexpr std::int64_t kBatch = 16;
constexpr std::int64_t kSide = 8;

// A small FmnistCnn (two blocks, hidden layer, dropout) with random BatchNorm
// statistics, quantised per `policy`, its activation quantisers initialised by
// one training-mode batch, then put in eval mode.
zoo::FmnistCnn quantised_cnn(const nlohmann::json& policy, const std::string& batchnorm, std::uint64_t seed) {
  torch::manual_seed(static_cast<std::int64_t>(seed));
  zoo::FmnistCnnOptions o;
  o.image_size = kSide;
  o.channels = {4, 6};
  o.hidden = 12;
  o.num_classes = 5;
  zoo::FmnistCnn net(o);
  torch::NoGradGuard no_grad;
  for (auto& m : net->modules()) {
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get())) {
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.uniform_(-0.3, 0.3);
      bn->running_mean.uniform_(-0.2, 0.2);
      bn->running_var.uniform_(0.5, 2.0);
    }
  }
  if (batchnorm == "fold") fold_batchnorm(*net);
  QuantizeModelOptions options;
  options.train_batchnorm = batchnorm == "train";
  quantize_model(*net, parse_policy(policy, "test policy"), options);
  net->train();
  net->forward(torch::rand({kBatch, 1, kSide, kSide}));  // lazy initialisation of the activation ranges
  net->eval();
  return net;
}

TraceOptions trace_options(int output_bits) {
  TraceOptions t;
  t.input_shape = {kBatch, 1, kSide, kSide};
  t.output_bits = output_bits;
  return t;
}

runtime::RealTensorMap as_inputs(const torch::Tensor& images) {
  const torch::Tensor x = images.to(torch::kFloat64).contiguous();
  return {{"images", {{x.sizes().begin(), x.sizes().end()}, {x.data_ptr<double>(), x.data_ptr<double>() + x.numel()}}}};
}

// Rows of the integer graph's [kBatch, 5] output whose argmax is LibTorch's.
int argmax_agreement(const runtime::IntTensor& out, const torch::Tensor& logits) {
  int agree = 0;
  for (std::int64_t r = 0; r < kBatch; ++r) {
    const auto row = out.values.begin() + r * 5;
    agree += std::max_element(row, row + 5) - row == logits[r].argmax().item<std::int64_t>();
  }
  return agree;
}

std::vector<double> values_of(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kFloat64).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

using Case = std::tuple<std::string, std::string>;  // algorithm, batchnorm handling

class TraceMatchesModel : public ::testing::TestWithParam<Case> {};

TEST_P(TraceMatchesModel, FakeQuantisedGraphComputesWhatEvalComputes) {
  const auto& [algorithm, batchnorm] = GetParam();
  auto net = quantised_cnn({{"algorithm", algorithm}, {"default", "w4a8"}}, batchnorm, 3);
  const ir::Graph graph = trace_model(*net, trace_options(0));
  EXPECT_NO_THROW(ir::validate(graph));
  const bool kept_bn = std::any_of(graph.nodes.begin(), graph.nodes.end(),
                                   [](const ir::Node& n) { return n.op == ir::OpKind::BatchNorm; });
  EXPECT_EQ(kept_bn, batchnorm == "keep");

  // In float64 the model computes the graph's arithmetic up to summation order,
  // far below any rounding threshold's neighbourhood: equal to 1e-9. (Traced
  // again in float64: PACT and DoReFa derive their step from alpha in the
  // model's precision, and the graph holds the step the model uses.)
  torch::manual_seed(5);
  const torch::Tensor images = torch::rand({kBatch, 1, kSide, kSide});
  net->to(torch::kFloat64);
  const ir::Graph graph64 = trace_model(*net, trace_options(0));
  torch::NoGradGuard no_grad;
  const std::vector<double> expected64 = values_of(net->forward(images.to(torch::kFloat64)));
  const std::vector<double> got64 =
      runtime::run_fake_quantised(graph64, as_inputs(images)).at(graph64.outputs[0]).values;
  ASSERT_EQ(got64.size(), expected64.size());
  for (std::size_t i = 0; i < got64.size(); ++i) EXPECT_NEAR(got64[i], expected64[i], 1e-9) << "element " << i;

  // In float32 a value within float32 noise of a rounding threshold can round
  // the other way (docs/conversion.md); almost every row still matches.
  net->to(torch::kFloat32);
  const std::vector<double> expected32 = values_of(net->forward(images));
  const std::vector<double> got = runtime::run_fake_quantised(graph, as_inputs(images)).at(graph.outputs[0]).values;
  ASSERT_EQ(got.size(), expected32.size());
  const std::int64_t k = static_cast<std::int64_t>(got.size()) / kBatch;
  int rows_equal = 0;
  for (std::int64_t r = 0; r < kBatch; ++r) {
    bool equal = true;
    for (std::int64_t j = 0; j < k; ++j) {
      const auto i = static_cast<std::size_t>(r * k + j);
      equal = equal && std::abs(got[i] - expected32[i]) <= 1e-5 * (1.0 + std::abs(got[i]));
    }
    rows_equal += equal;
  }
  EXPECT_GE(rows_equal, kBatch - 2);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, TraceMatchesModel,
                         ::testing::Combine(::testing::Values("ste", "pact", "lsq", "tqt", "dorefa"),
                                            ::testing::Values("fold", "keep", "train")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

class TraceConverts : public ::testing::TestWithParam<std::string> {};

TEST_P(TraceConverts, IntegerGraphRunsAndAgreesWithTheModel) {
  auto net = quantised_cnn({{"algorithm", GetParam()}, {"default", "w8a8"}}, "train", 9);
  const ir::Graph fq = trace_model(*net, trace_options(16));
  const ir::Graph integer = ir::passes::convert(fq);
  EXPECT_NO_THROW(ir::validate_integer_graph(integer));

  torch::manual_seed(6);
  const torch::Tensor images = torch::rand({kBatch, 1, kSide, kSide});
  const runtime::IntTensorMap codes = testing::input_codes(fq, images);
  const runtime::IntTensorMap reference = runtime::run_reference(integer, codes);
  EXPECT_EQ(runtime::to_int(runtime::run_simulation(integer, runtime::to_sim(codes))), reference);

  torch::NoGradGuard no_grad;
  const torch::Tensor logits = net->forward(images);
  const runtime::IntTensor& out = reference.at(integer.outputs[0]);
  ASSERT_EQ(out.shape, (ir::Shape{kBatch, 5}));
  EXPECT_GE(argmax_agreement(out, logits), kBatch - 2);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, TraceConverts, ::testing::Values("ste", "lsq", "pact"));

// Non-uniform weight quantisers (docs/conversion.md, "Non-uniform weights"):
// algorithm, bits, granularity, and whether the integer grid holds the levels
// exactly (binary, TWN, log2) or rounds them (TTQ, codebook).
using NonUniformCase = std::tuple<std::string, int, std::string, bool>;

class TraceNonUniform : public ::testing::TestWithParam<NonUniformCase> {};

TEST_P(TraceNonUniform, IntegerGraphEqualsItsSimulationAndTheModel) {
  const auto& [algorithm, bits, granularity, exact] = GetParam();
  const nlohmann::json policy = {
      {"default", "w4a8"},
      {"weights", {{"algorithm", algorithm}, {"bits", bits}, {"granularity", granularity}}}};
  auto net = quantised_cnn(policy, "fold", 12);
  const ir::Graph fq = trace_model(*net, trace_options(16));
  const ir::Graph integer = ir::passes::convert(fq);
  EXPECT_NO_THROW(ir::validate_integer_graph(integer));

  // The integer reference runtime equals the float64 simulation bit for bit.
  torch::manual_seed(13);
  const torch::Tensor images = torch::rand({kBatch, 1, kSide, kSide});
  const runtime::IntTensorMap codes = testing::input_codes(fq, images);
  const runtime::IntTensorMap reference = runtime::run_reference(integer, codes);
  EXPECT_EQ(runtime::to_int(runtime::run_simulation(integer, runtime::to_sim(codes))), reference);

  // Every traced weight lies on its weight_quant grid; for the exact level
  // sets it is the quantiser's output itself, for the rounded ones it moved by
  // at most max|level| / (2^G - 2).
  torch::NoGradGuard no_grad;
  for (const ir::Node& n : fq.nodes) {
    if (n.op != ir::OpKind::Conv2d && n.op != ir::OpKind::Linear) continue;
    const quant::QuantSpec& spec = n.op == ir::OpKind::Conv2d ? *n.attrs<ir::Conv2dAttrs>().weight_quant
                                                               : *n.attrs<ir::LinearAttrs>().weight_quant;
    if (n.name == "features.conv1_0") {
      EXPECT_EQ(spec.bits, algorithm == "log2" ? 8 : exact ? 2 : TraceOptions{}.level_grid_bits);
    }
    const std::vector<float>& w = *fq.tensor(n.inputs[1]).float_data;
    const std::size_t per_channel = w.size() / static_cast<std::size_t>(fq.tensor(n.inputs[1]).shape[0]);
    for (std::size_t i = 0; i < w.size(); ++i) {
      const std::size_t c = spec.granularity == quant::Granularity::PerChannel ? i / per_channel : 0;
      const double code = w[i] / spec.step(c);
      ASSERT_NEAR(code, std::nearbyint(code), 1e-5) << n.name << " element " << i;
      ASSERT_LE(std::abs(std::nearbyint(code)), spec.qmax()) << n.name;
    }
  }

  // The integer graph's argmax agrees with LibTorch's (for the rounded level
  // sets too: an 8-bit grid moves each level by < 0.4 % of the largest).
  const torch::Tensor logits = net->forward(images);
  const runtime::IntTensor& out = reference.at(integer.outputs[0]);
  EXPECT_GE(argmax_agreement(out, logits), kBatch - 2);

  // Exact level sets: in float64 the traced graph computes what eval() computes.
  if (!exact) return;
  net->to(torch::kFloat64);
  const ir::Graph graph64 = trace_model(*net, trace_options(0));
  const std::vector<double> expected64 = values_of(net->forward(images.to(torch::kFloat64)));
  const std::vector<double> got64 =
      runtime::run_fake_quantised(graph64, as_inputs(images)).at(graph64.outputs[0]).values;
  ASSERT_EQ(got64.size(), expected64.size());
  for (std::size_t i = 0; i < got64.size(); ++i) EXPECT_NEAR(got64[i], expected64[i], 1e-9) << "element " << i;
}

INSTANTIATE_TEST_SUITE_P(Algorithms, TraceNonUniform,
                         ::testing::Values(NonUniformCase{"binary", 1, "per_tensor", true},
                                           NonUniformCase{"binary", 1, "per_channel", true},
                                           NonUniformCase{"twn", 2, "per_channel", true},
                                           NonUniformCase{"log2", 4, "per_channel", true},
                                           NonUniformCase{"ttq", 2, "per_tensor", false},
                                           NonUniformCase{"codebook", 4, "per_tensor", false}),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<2>(info.param);
                         });

TEST(Trace, TtqLevelsAreRoundedOntoTheLevelGrid) {
  const nlohmann::json policy = {{"default", "w4a8"}, {"weights", {{"algorithm", "ttq"}, {"bits", 2}}}};
  auto net = quantised_cnn(policy, "fold", 14);
  for (const int g : {4, 12}) {
    TraceOptions o = trace_options(16);
    o.level_grid_bits = g;
    const ir::Graph fq = trace_model(*net, o);
    const auto conv = std::find_if(fq.nodes.begin(), fq.nodes.end(),
                                   [](const ir::Node& n) { return n.name == "features.conv1_0"; });
    ASSERT_NE(conv, fq.nodes.end());
    const quant::QuantSpec& spec = *conv->attrs<ir::Conv2dAttrs>().weight_quant;
    EXPECT_EQ(spec.bits, g);
    EXPECT_TRUE(spec.narrow_range);
    // Three distinct codes, the largest level exactly on the top code.
    std::set<long> seen;
    for (const float w : *fq.tensor("features.conv1_0.weight").float_data) {
      seen.insert(std::lround(w / spec.step()));
    }
    EXPECT_EQ(seen.size(), 3u);
    EXPECT_TRUE(seen.count(spec.qmax()) || seen.count(-spec.qmax()));
  }
  TraceOptions bad = trace_options(16);
  bad.level_grid_bits = 17;
  EXPECT_THROW((void)trace_model(*net, bad), ConfigError);
}

TEST(Trace, WideLog2WeightsNameTheLayerAndAlgorithm) {
  // 6-bit log2: 31 exponents, codes up to 2^30, more than 16 integer bits.
  const nlohmann::json policy = {
      {"default", "w4a8"},
      {"layers", {{{"match", "features.conv1_0"}, {"weights", {{"algorithm", "log2"}, {"bits", 6}}}}}}};
  auto net = quantised_cnn(policy, "fold", 1);
  try {
    (void)trace_model(*net, trace_options(16));
    FAIL() << "6-bit log2 weights traced";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("features.conv1_0"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("\"log2\""));
  }
}

TEST(Trace, FloatModelIsRefused) {
  zoo::FmnistCnnOptions o;
  o.image_size = kSide;
  o.channels = {4};
  zoo::FmnistCnn net(o);
  EXPECT_THROW((void)trace_model(*net, trace_options(16)), ConfigError);
}

TEST(Trace, OutputQuantCoversTheLogitsWithoutSaturating) {
  auto net = quantised_cnn({{"default", "w4a4"}}, "fold", 4);
  const ir::Graph graph = trace_model(*net, trace_options(16));
  const ir::Node& last = graph.nodes.back();
  ASSERT_EQ(last.op, ir::OpKind::Quant);
  EXPECT_EQ(last.inputs[0], "classifier.fc_out");
  const quant::QuantSpec& spec = last.attrs<ir::QuantAttrs>().spec;
  EXPECT_EQ(spec.bits, 16);
  // Even inputs far outside the training range stay inside the code range
  // (the input quantiser clamps, and the bound covers every clamped input),
  // and the quant only rounds the logits to its step.
  torch::manual_seed(8);
  const auto inputs = as_inputs(torch::rand({kBatch, 1, kSide, kSide}) * 100 - 50);
  const auto out = runtime::run_fake_quantised(graph, inputs).at(graph.outputs[0]).values;
  const ir::Graph raw = trace_model(*net, trace_options(0));
  const auto logits = runtime::run_fake_quantised(raw, inputs).at(raw.outputs[0]).values;
  ASSERT_EQ(out.size(), logits.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_LT(std::abs(out[i]), spec.step() * spec.qmax());
    EXPECT_LE(std::abs(out[i] - logits[i]), spec.step() / 2 * (1 + 1e-9));
  }
}

}  // namespace
}  // namespace bitlab::train
