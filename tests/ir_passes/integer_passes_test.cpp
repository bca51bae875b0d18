// Passes 4–7: propagate, fold_arithmetic, requantise, fold_activations.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "float_graph.h"
#include "ir/passes/canonicalise.h"
#include "ir/passes/conversion_error.h"
#include "ir/passes/fold_activations.h"
#include "ir/passes/fold_arithmetic.h"
#include "ir/passes/fold_batchnorm.h"
#include "ir/passes/graph_edit.h"
#include "ir/passes/harmonise.h"
#include "ir/passes/integerise.h"
#include "ir/passes/propagate.h"
#include "ir/passes/requantise.h"
#include "ir/validate.h"
#include "networks.h"
#include "quant/rounding.h"
#include "runtime/reference.h"

namespace bitlab::ir::passes::testing {
namespace {

Graph prepared(const Graph& g) { return harmonise(fold_batchnorm(canonicalise(g))); }

// x (uint8 s 0.02) → conv (int8 per-channel) + bias → relu → quant (uint8 s 0.05) → avgpool → quant → flatten → linear → quant
struct Small {
  Graph graph;
  std::string conv_out, relu_q, pool_out;
};
Small small(int act_bits = 8, int weight_bits = 8) {
  FloatGraph f("small", 5);
  const auto x = f.input("x", {1, 2, 4, 4});
  auto q = f.quant(x, {.bits = act_bits, .is_signed = false, .scales = {0.02}});
  const auto c = f.conv(q, 3, 3, {.padding = {1, 1}}, weight_bits);
  const auto r = f.quant(f.relu(c), {.bits = 8, .is_signed = false, .symmetric = false, .scales = {0.05}, .zero_points = {4}});
  const auto p = f.avgpool(r);
  auto t = f.quant(p, {.bits = 8, .is_signed = false, .scales = {0.04}});
  t = f.quant(f.linear(f.flatten(t), 3), {.bits = 8, .scales = {0.1}});
  return {prepared(f.build({t})), c, r, p};
}

TEST(Propagate, AnnotatesEveryTensorWithItsGrid) {
  const Small s = small();
  const Precisions p = propagate(s.graph);
  for (const Tensor& t : s.graph.tensors) EXPECT_TRUE(p.count(t.name)) << t.name;
  EXPECT_EQ(p.at("x").quantization, Quantization::per_tensor(0.02, 0));
  const Node& conv = *producer_node(s.graph, s.conv_out);
  const auto& ws = *conv.attrs<Conv2dAttrs>().weight_quant;
  const TensorPrecision& acc = p.at(s.conv_out);
  EXPECT_EQ(acc.type, ElementType::integer(32, true));
  ASSERT_EQ(acc.quantization.num_channels(), 3u);
  EXPECT_EQ(acc.quantization.axis, 1);
  for (std::size_t c = 0; c < 3; ++c) EXPECT_DOUBLE_EQ(acc.quantization.scale(c), 0.02 * ws.scales[c]);
  EXPECT_EQ(p.at(conv.inputs[2]).quantization.scales, acc.quantization.scales);  // bias: s_x·s_w
  EXPECT_EQ(p.at(s.pool_out).quantization.scale(), 0.05 / 4);                  // s_x / K
  EXPECT_EQ(p.at(s.relu_q).quantization.zero_point(), 4);
}

TEST(Propagate, WidensTheAccumulatorWhenSection13Demands) {
  // 16-bit activations × 16-bit weights, fan-in 18: 18·65535·32767 > 2^31 − 1.
  EXPECT_EQ(propagate(small(16, 16).graph).at(small(16, 16).conv_out).type, ElementType::integer(64, true));
  // 16-bit activations × 8-bit weights: 18·65535·127 + |bias| fits int32.
  EXPECT_EQ(propagate(small(16, 8).graph).at(small(16, 8).conv_out).type, ElementType::integer(32, true));
}

TEST(Propagate, RefusesAnUnquantisedLayerOutputFeedingAnotherOp) {
  FloatGraph f("bad", 1);
  const auto x = f.input("x", {1, 2, 4, 4});
  const auto q = f.quant(x, {.bits = 8, .is_signed = false, .scales = {0.02}});
  const Graph g = f.build({f.quant(f.maxpool(f.conv(q, 2, 1, {})), {.bits = 8, .scales = {0.1}})});
  EXPECT_THROW(propagate(prepared(g)), ConversionError);
}

TEST(FoldArithmetic, IntegerisesWeightsBiasesAndMergesScales) {
  const Small s = small();
  const IntegerDraft d = fold_arithmetic(s.graph, propagate(s.graph));
  const Node& fconv = *producer_node(s.graph, s.conv_out);
  const auto& ws = *fconv.attrs<Conv2dAttrs>().weight_quant;
  // Weights: exactly the fake quantiser's codes.
  const auto& w = *d.graph.tensor(fconv.inputs[1]).int_data;
  const auto expected = quant::quantise(*s.graph.tensor(fconv.inputs[1]).float_data, s.graph.tensor(fconv.inputs[1]).shape, ws);
  EXPECT_EQ(w, std::vector<std::int64_t>(expected.begin(), expected.end()));
  // Bias: round_half_to_even(b / (s_x·s_w)) (§14.8).
  const auto& b = *s.graph.tensor(fconv.inputs[2]).float_data;
  const auto& bq = *d.graph.tensor(fconv.inputs[2]).int_data;
  for (std::size_t c = 0; c < 3; ++c) EXPECT_EQ(bq[c], quant::round_half_to_even(b[c] / (0.02 * ws.scales[c])));
  // The requant after the conv carries M_c = s_x·s_w,c / s_y; after the avgpool (s_x / 4) / s_y.
  // (Pass 1 turned relu → quant into quant → relu, so the clip writes relu_q.)
  const Node& clip = *producer_node(d.graph, s.relu_q);
  ASSERT_EQ(clip.op, OpKind::Clip);
  const Node& rq = *producer_node(d.graph, clip.inputs[0]);
  ASSERT_EQ(rq.op, OpKind::Requant);
  const RealRequant& m = d.requants.at(rq.name);
  for (std::size_t c = 0; c < 3; ++c) EXPECT_DOUBLE_EQ(m.multipliers[c], 0.02 * ws.scales[c] / 0.05);
  const Node& after_pool = d.graph.nodes.at(*producer(d.graph, s.pool_out) + 1);
  EXPECT_DOUBLE_EQ(d.requants.at(after_pool.name).multipliers.at(0), 0.05 / 4 / 0.04);
  // The relu became a clip at the zero point (§10.2); the graph input quant disappeared.
  EXPECT_TRUE(std::any_of(d.graph.nodes.begin(), d.graph.nodes.end(),
                          [](const Node& n) { return n.op == OpKind::Clip && n.attrs<ClipAttrs>().lo == 4; }));
  EXPECT_EQ(d.graph.tensor("x").type, ElementType::integer(8, false));
  EXPECT_EQ(d.graph.nodes.front().op, OpKind::Conv2d);
}

TEST(Requantise, HonoursTheMultiplierWidth) {
  const Small s = small();
  const IntegerDraft d = fold_arithmetic(s.graph, propagate(s.graph));
  for (const int bits : {31, 15, 8}) {
    ConversionOptions options;
    options.dyadic.multiplier_bits = bits;
    const Graph g = requantise(d, options);
    EXPECT_NO_THROW(validate_integer_graph(g));
    for (const Node& n : g.nodes) {
      if (n.op != OpKind::Requant) continue;
      const RealRequant& real = d.requants.at(n.name);
      for (std::size_t c = 0; c < real.multipliers.size(); ++c) {
        const auto& m = n.attrs<RequantAttrs>().multipliers[c];
        EXPECT_LT(m.multiplier, std::int64_t{1} << bits);
        EXPECT_LE(std::abs(m.value() - real.multipliers[c]), std::ldexp(real.multipliers[c], -bits));  // §9.1
      }
    }
  }
}

// Fusing clips changes no code, for any input.
RC_GTEST_PROP(FoldActivationsProperty, FusesClipsWithoutChangingOutputs, (std::uint64_t seed)) {
  const Graph fq = residual_net(seed % 1000);
  const Graph pre = prepared(fq);
  const Graph unfused = requantise(fold_arithmetic(pre, propagate(pre)));
  const Graph fused = fold_activations(unfused);
  const auto clips = [](const Graph& g) {
    return std::count_if(g.nodes.begin(), g.nodes.end(), [](const Node& n) { return n.op == OpKind::Clip; });
  };
  RC_ASSERT(clips(unfused) == 2);
  RC_ASSERT(clips(fused) == 0);
  RC_ASSERT(fused.outputs == unfused.outputs);
  FloatGraph in("in", seed);
  in.graph = fq;
  const auto codes = quantise_inputs(fq, in.random_inputs(0.0, 1.0));
  RC_ASSERT(runtime::run_reference(fused, codes) == runtime::run_reference(unfused, codes));
}

TEST(FoldActivations, KeepsAClipThatDoesNotOverlapTheClamp) {
  Graph g;
  g.name = "g";
  g.add_tensor(int_tensor("x", {4}, ElementType::integer(8, true), Quantization::per_tensor(0.1)));
  g.add_tensor(int_tensor("r", {4}, ElementType::integer(8, true), Quantization::per_tensor(0.1)));
  g.add_tensor(int_tensor("y", {4}, ElementType::integer(8, true), Quantization::per_tensor(0.1)));
  g.inputs = {"x"};
  g.outputs = {"y"};
  g.add_node(Node{"rq", OpKind::Requant, {"x"}, {"r"}, RequantAttrs{{{1, 0}}, 1, -128, -10}});
  g.add_node(Node{"clip", OpKind::Clip, {"r"}, {"y"}, ClipAttrs{0, 127}});
  EXPECT_EQ(fold_activations(g), g);
  g.nodes[1].attributes = ClipAttrs{-20, 127};
  const Graph fused = fold_activations(g);
  ASSERT_EQ(fused.nodes.size(), 1u);
  EXPECT_EQ(fused.nodes[0].attrs<RequantAttrs>().lo, -20);
  EXPECT_EQ(fused.nodes[0].output(), "y");
}

}  // namespace
}  // namespace bitlab::ir::passes::testing
