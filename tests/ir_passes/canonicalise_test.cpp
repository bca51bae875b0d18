#include "ir/passes/canonicalise.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "float_graph.h"
#include "ir/passes/graph_edit.h"

namespace bitlab::ir::passes::testing {
namespace {

std::size_t count(const Graph& g, OpKind op) {
  return static_cast<std::size_t>(std::count_if(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.op == op; }));
}

// x → quant → conv → relu → quant(A) → quant(B, same grid, narrower) → reshape(same shape) → flatten → y
Graph messy(std::uint64_t seed, std::int32_t zero_point) {
  FloatGraph f("messy", seed);
  const auto x = f.input("x", {2, 1, 4, 4});
  f.calibration = f.random_inputs(-1.0, 1.0);
  auto t = f.quant(x, quant::fit_range(int_act(), -1.0, 1.0));
  t = f.relu(f.conv(t, 2, 3, {.padding = {1, 1}}));
  quant::QuantSpec wide{.bits = 8, .is_signed = true, .symmetric = false, .scales = {0.01}, .zero_points = {zero_point}};
  quant::QuantSpec narrow = wide;
  narrow.narrow_range = true;
  t = f.quant(f.quant(t, wide, quant::RoundingMode::HalfAwayFromZero), narrow);
  t = f.reshape(t, {2, 2, 4, 4});
  return f.build({f.flatten(t)});
}

TEST(Canonicalise, ReachesTheNormalForm) {
  const Graph g = canonicalise(messy(1, -3));
  EXPECT_EQ(count(g, OpKind::Reshape), 0u);  // N1
  EXPECT_EQ(count(g, OpKind::Quant), 2u);    // N3: the chain merged
  // N2: the relu now follows the (merged) quant, which keeps the first rounding and the narrower range.
  const Node& relu = g.nodes.at(*producer(g, g.nodes.back().inputs[0]));
  ASSERT_EQ(relu.op, OpKind::Relu);
  const Node& q = *producer_node(g, relu.inputs[0]);
  ASSERT_EQ(q.op, OpKind::Quant);
  EXPECT_EQ(q.attrs<QuantAttrs>().rounding, quant::RoundingMode::HalfAwayFromZero);
  EXPECT_TRUE(q.attrs<QuantAttrs>().spec.narrow_range);
  EXPECT_EQ(g.outputs, messy(1, -3).outputs);
}

TEST(Canonicalise, DropsAQuantOntoTheGridItsInputHas) {
  FloatGraph f("identity", 3);
  const auto x = f.input("x", {1, 1, 4, 4});
  const auto spec = quant::fit_range(uint_act(), 0.0, 1.0);
  const auto t = f.maxpool(f.quant(x, spec));
  const Graph g = canonicalise(f.build({f.quant(t, spec)}));
  EXPECT_EQ(count(g, OpKind::Quant), 1u);
  EXPECT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.nodes.back().op, OpKind::MaxPool);  // now writes the graph output directly
}

// Every rewrite is exact: the fake-quantised outputs do not change at all.
RC_GTEST_PROP(CanonicaliseProperty, KeepsEveryValue, (std::uint64_t seed)) {
  const auto z = static_cast<std::int32_t>(seed % 21) - 10;
  const Graph before = messy(seed, z);
  FloatGraph in("in", seed + 1);
  in.graph = before;
  const auto inputs = in.random_inputs(-1.0, 1.0);
  RC_ASSERT(runtime::run_fake_quantised(canonicalise(before), inputs) == runtime::run_fake_quantised(before, inputs));
}

}  // namespace
}  // namespace bitlab::ir::passes::testing
