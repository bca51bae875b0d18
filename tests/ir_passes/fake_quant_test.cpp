#include "runtime/fake_quant.h"

#include <gtest/gtest.h>

#include "float_graph.h"

namespace bitlab::ir::passes::testing {
namespace {

using runtime::RealTensor;

TEST(FakeQuantExecutor, QuantRoundsWithTheNodesModeAndClamps) {
  // int8 affine, s = 0.5, z = 2: x / s = 2.5, −2.5, 3, −6 (§3.1's ties), then s·(q − z) (§5).
  const std::vector<double> x_values{1.25, -1.25, 1.5, -3.0};
  for (const auto& [mode, expected] :
       {std::pair{quant::RoundingMode::HalfToEven, std::vector<double>{1.0, -1.0, 1.5, -3.0}},
        std::pair{quant::RoundingMode::HalfAwayFromZero, std::vector<double>{1.5, -1.5, 1.5, -3.0}},
        std::pair{quant::RoundingMode::Floor, std::vector<double>{1.0, -1.5, 1.5, -3.0}}}) {
    FloatGraph f("q", 1);
    const auto x = f.input("x", {4});
    const quant::QuantSpec spec{.bits = 8, .is_signed = true, .symmetric = false, .scales = {0.5}, .zero_points = {2}};
    const Graph g = f.build({f.quant(x, spec, mode)});
    EXPECT_EQ(runtime::run_fake_quantised(g, {{"x", RealTensor{{4}, x_values}}}).at(g.outputs[0]).values, expected)
        << quant::to_string(mode);
  }
  FloatGraph f("clamp", 1);
  const auto x = f.input("x", {3});
  const Graph g = f.build({f.quant(x, {.bits = 4, .is_signed = false, .scales = {0.1}})});
  EXPECT_EQ(runtime::run_fake_quantised(g, {{"x", RealTensor{{3}, {-1.0, 0.74, 9.0}}}}).at(g.outputs[0]).values,
            (std::vector<double>{0.0, 0.1 * 7, 0.1 * 15}));
}

TEST(FakeQuantExecutor, ConvUsesFakeQuantisedWeightsAndAvgpoolCountsPadding) {
  FloatGraph f("conv", 1);
  const auto x = f.input("x", {1, 1, 2, 2});
  const auto w = f.constant({1, 1, 1, 1}, {0.26f});
  const auto b = f.constant({1}, {0.5f});
  const quant::QuantSpec ws{.bits = 4, .narrow_range = true, .scales = {0.1}};  // 0.26 → code 3 → 0.3
  const auto c = f.op(OpKind::Conv2d, {x, w, b}, Conv2dAttrs{.weight_quant = ws});
  const auto p = f.avgpool(c, {.kernel = {2, 2}, .stride = {2, 2}, .padding = {1, 1}});
  const Graph g = f.build({p});
  const auto y = runtime::run_fake_quantised(g, {{"x", RealTensor{{1, 1, 2, 2}, {1.0, 2.0, 3.0, 4.0}}}}).at(p);
  // conv: 0.3·x + 0.5 = 0.8, 1.1, 1.4, 1.7; each 2x2 window with padding 1 holds one of them, divided by 4.
  ASSERT_EQ(y.values.size(), 4u);
  EXPECT_DOUBLE_EQ(y.values[0], (0.3 * 1.0 + 0.5) / 4);
  EXPECT_DOUBLE_EQ(y.values[3], (0.3 * 4.0 + 0.5) / 4);
}

TEST(FakeQuantExecutor, BatchnormReluAddConcat) {
  FloatGraph f("misc", 1);
  const auto x = f.input("x", {1, 2, 1, 1});
  const auto bn = f.op(OpKind::BatchNorm, {x, f.constant({2}, {2.0f, 1.0f}), f.constant({2}, {0.5f, -1.0f}),
                                           f.constant({2}, {1.0f, 0.0f}), f.constant({2}, {4.0f, 1.0f})},
                       BatchNormAttrs{0.0});
  const auto r = f.relu(bn);
  const auto s = f.add({r, x});
  const auto cat = f.concat({s, x});
  const Graph g = f.build({cat});
  const auto y = runtime::run_fake_quantised(g, {{"x", RealTensor{{1, 2, 1, 1}, {3.0, -0.5}}}}).at(cat);
  // bn: 2·(3 − 1)/2 + 0.5 = 2.5; 1·(−0.5)/1 − 1 = −1.5 → relu 2.5, 0 → + x = 5.5, −0.5
  EXPECT_EQ(y.values, (std::vector<double>{5.5, -0.5, 3.0, -0.5}));
}

TEST(FakeQuantExecutor, RefusesIntegerGraphsAndBadInputs) {
  FloatGraph f("x", 1);
  const auto x = f.input("x", {2});
  const Graph g = f.build({f.relu(x)});
  EXPECT_THROW(runtime::run_fake_quantised(g, {}), std::invalid_argument);
  EXPECT_THROW(runtime::run_fake_quantised(g, {{"x", RealTensor{{3}, {1, 2, 3}}}}), std::invalid_argument);
}

}  // namespace
}  // namespace bitlab::ir::passes::testing
