#include "ir/passes/fold_batchnorm.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "float_graph.h"
#include "ir/passes/conversion_error.h"
#include "ir/passes/graph_edit.h"
#include "ir/passes/integerise.h"

namespace bitlab::ir::passes::testing {
namespace {

// x → quant → conv (or linear) → bn → y
Graph conv_bn(std::uint64_t seed, bool negative_gamma, bool narrow = true, bool bias = true) {
  FloatGraph f("convbn", seed);
  const auto x = f.input("x", {2, 3, 5, 5});
  auto t = f.quant(x, quant::fit_range(int_act(), -1.0, 1.0));
  t = f.conv(t, 4, 3, {.padding = {1, 1}}, 8, true, bias);
  if (!narrow) {
    auto& spec = std::get<Conv2dAttrs>(f.graph.nodes.back().attributes).weight_quant;
    spec->narrow_range = false;
  }
  return f.build({f.batchnorm(t, negative_gamma)});
}

const Node& layer(const Graph& g) {
  return *std::find_if(g.nodes.begin(), g.nodes.end(), [](const Node& n) { return n.op == OpKind::Conv2d; });
}

RC_GTEST_PROP(FoldBatchnormProperty, SameOutputsAndSameCodes, (std::uint64_t seed, bool negative_gamma, bool bias)) {
  const Graph before = conv_bn(seed, negative_gamma, true, bias);
  const Graph after = fold_batchnorm(before);
  RC_ASSERT(std::none_of(after.nodes.begin(), after.nodes.end(), [](const Node& n) { return n.op == OpKind::BatchNorm; }));
  FloatGraph in("in", seed);
  in.graph = before;
  const auto inputs = in.random_inputs(-1.0, 1.0);
  const auto y0 = runtime::run_fake_quantised(before, inputs).begin()->second.values;
  const auto y1 = runtime::run_fake_quantised(after, inputs).begin()->second.values;
  RC_ASSERT(y0.size() == y1.size());
  for (std::size_t i = 0; i < y0.size(); ++i) RC_ASSERT(std::abs(y0[i] - y1[i]) <= 1e-5 * (1.0 + std::abs(y0[i])));
  // The codes are the fake quantiser's, up to the sign of gamma per channel.
  const Node& l0 = layer(before);
  const Node& l1 = layer(after);
  const auto c0 = weight_codes(before.tensor(l0.inputs[1]), *l0.attrs<Conv2dAttrs>().weight_quant);
  const auto c1 = weight_codes(after.tensor(l1.inputs[1]), *l1.attrs<Conv2dAttrs>().weight_quant);
  const auto& gamma = *before.tensor(before.nodes.back().inputs[1]).float_data;
  const std::size_t per_channel = c0.size() / gamma.size();
  for (std::size_t i = 0; i < c0.size(); ++i) RC_ASSERT(c1[i] == (gamma[i / per_channel] < 0 ? -c0[i] : c0[i]));
}

TEST(FoldBatchnorm, RefusesANegativeGammaThatNeedsMinusQmin) {
  // Full-range int8 weights at a quarter of the fitted scale: the large
  // negative weights clamp to −128, which a negative gamma cannot negate.
  Graph g = conv_bn(1, true, false);
  auto& spec = *std::get<Conv2dAttrs>(g.nodes[1].attributes).weight_quant;
  for (double& s : spec.scales) s /= 4;
  const auto codes = weight_codes(g.tensor(g.nodes[1].inputs[1]), spec);
  const std::size_t per_channel = codes.size() / spec.num_channels();
  ASSERT_TRUE(std::count(codes.begin() + per_channel, codes.begin() + 2 * per_channel, -128) > 0);  // channel 1: gamma < 0
  EXPECT_THROW(fold_batchnorm(g), ConversionError);
  spec.narrow_range = true;  // the same weights on [−127, 127] fold fine
  EXPECT_NO_THROW(fold_batchnorm(g));
}

TEST(FoldBatchnorm, RefusesABatchnormAfterAnythingButALayer) {
  FloatGraph f("bad", 1);
  const auto x = f.input("x", {1, 2, 3, 3});
  const Graph g = f.build({f.batchnorm(f.quant(x, quant::fit_range(int_act(), -1.0, 1.0)))});
  EXPECT_THROW(fold_batchnorm(g), ConversionError);
}

}  // namespace
}  // namespace bitlab::ir::passes::testing
