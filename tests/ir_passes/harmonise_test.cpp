#include "ir/passes/harmonise.h"

#include <gtest/gtest.h>

#include "float_graph.h"
#include "ir/passes/conversion_error.h"
#include "ir/passes/graph_edit.h"
#include "ir/passes/grid.h"

namespace bitlab::ir::passes::testing {
namespace {

quant::QuantSpec u8(double s) { return {.bits = 8, .is_signed = false, .scales = {s}}; }
quant::QuantSpec s8(double s) { return {.bits = 8, .is_signed = true, .scales = {s}}; }

TEST(CommonGrid, FinestScaleAndJustEnoughBits) {
  // uint8 at 0.1 ∪ int8 at 0.05: [−6.4, 25.5] at 0.05 → codes [−128, 510] → int10.
  const auto g = common_grid(0.05, -6.4, 25.5);
  EXPECT_EQ(g.scales[0], 0.05);
  EXPECT_TRUE(g.is_signed);
  EXPECT_EQ(g.bits, 10);
  EXPECT_EQ(common_grid(0.1, 0.0, 25.5).bits, 8);  // exactly 255 codes: no extra bit from float noise
  EXPECT_FALSE(common_grid(0.1, 0.0, 25.5).is_signed);
  // Beyond 16 bits the step widens until the range fits.
  const auto wide = common_grid(1e-6, -1.0, 1.0);
  EXPECT_EQ(wide.bits, 16);
  EXPECT_GE(wide.scales[0] * wide.qmax(), 1.0 - 1e-12);
}

Graph two_branches(OpKind merge, bool trailing_quant) {
  FloatGraph f("branches", 1);
  const auto x = f.input("x", {1, 2, 2, 2});
  const auto a = f.quant(x, u8(0.1));
  const auto b = f.quant(x, s8(0.05));
  auto t = merge == OpKind::Add ? f.add({a, b}) : f.concat({a, b});
  if (trailing_quant) t = f.quant(t, u8(0.2));
  return f.build({t});
}

std::vector<quant::QuantSpec> input_grids(const Graph& g, OpKind op) {
  const Node& n = *std::find_if(g.nodes.begin(), g.nodes.end(), [&](const Node& m) { return m.op == op; });
  std::vector<quant::QuantSpec> out;
  for (const auto& in : n.inputs) out.push_back(*float_grid(g, in));
  return out;
}

TEST(Harmonise, ConcatBranchesMeetOnTheCommonGrid) {
  const Graph g = harmonise(two_branches(OpKind::Concat, false));
  const auto grids = input_grids(g, OpKind::Concat);
  EXPECT_TRUE(same_grid(grids[0], grids[1]));
  EXPECT_EQ(grids[0].scales[0], 0.05);
  EXPECT_EQ(grids[0].bits, 10);
}

TEST(Harmonise, AQuantAfterAConcatMovesOntoTheBranchesExactly) {
  const Graph before = two_branches(OpKind::Concat, true);
  const Graph g = harmonise(before);
  for (const auto& grid : input_grids(g, OpKind::Concat)) EXPECT_TRUE(same_grid(grid, u8(0.2)));
  EXPECT_EQ(g.nodes.back().op, OpKind::Concat);  // the trailing quant is gone, the output keeps its name
  EXPECT_EQ(g.outputs, before.outputs);
  FloatGraph in("in", 2);
  in.graph = before;
  const auto inputs = in.random_inputs(-10.0, 30.0);
  EXPECT_EQ(runtime::run_fake_quantised(g, inputs), runtime::run_fake_quantised(before, inputs));
}

TEST(Harmonise, AnAddGetsAnOutputGridOnlyWhenItHasNone) {
  const Graph quantised = two_branches(OpKind::Add, true);
  EXPECT_EQ(harmonise(quantised), quantised);
  const Graph before = two_branches(OpKind::Add, false);
  const Graph g = harmonise(before);
  ASSERT_EQ(g.nodes.back().op, OpKind::Quant);
  EXPECT_EQ(g.outputs, before.outputs);
  // The sum of uint8·0.1 and int8·0.05 lies in [−6.4, 31.85] on the 0.05 grid: exact.
  EXPECT_TRUE(same_grid(g.nodes.back().attrs<QuantAttrs>().spec, common_grid(0.05, -6.4, 25.5 + 6.35)));
  FloatGraph in("in", 2);
  in.graph = before;
  const auto inputs = in.random_inputs(-10.0, 30.0);
  EXPECT_EQ(runtime::run_fake_quantised(g, inputs).begin()->second.values.size(), 8u);
  const auto y0 = runtime::run_fake_quantised(before, inputs).begin()->second.values;
  const auto y1 = runtime::run_fake_quantised(g, inputs).begin()->second.values;
  for (std::size_t i = 0; i < y0.size(); ++i) EXPECT_NEAR(y0[i], y1[i], 1e-12);
}

TEST(Harmonise, RefusesAnUnquantisedBranch) {
  FloatGraph f("bad", 1);
  const auto x = f.input("x", {1, 2, 2, 2});
  const Graph g = f.build({f.quant(f.add({f.quant(x, u8(0.1)), f.relu(x)}), u8(0.1))});
  EXPECT_THROW(harmonise(g), ConversionError);
}

}  // namespace
}  // namespace bitlab::ir::passes::testing
