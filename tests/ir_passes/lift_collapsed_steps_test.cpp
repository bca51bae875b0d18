// Pass 3b: a channel whose learned weight step collapsed (LSQ on a dead
// filter) gets a step the integer graph can carry, and conversion stays exact.
#include <gtest/gtest.h>

#include "ir/passes/lift_collapsed_steps.h"
#include "networks.h"

namespace bitlab::ir::passes::testing {
namespace {

constexpr double kCollapsedStep = 1e-9;

// x → quant → conv 3x3 (per-channel weights, bias) → relu → quant → flatten →
// linear → quant, with conv channel 1's step collapsed to 1e-9, its weights at
// ±qmax steps (≈ 1e-7) and a bias of 0.4: 0.4 / (s_x·1e-9) needs ~36 bits.
Graph collapsed_channel_net(std::uint64_t seed) {
  FloatGraph f("collapsed", seed);
  const auto x = f.input("x", {kBatch, 2, 6, 6});
  f.calibration = f.random_inputs(-1.0, 1.0);
  auto t = f.quant(x, quant::fit_range(int_act(8), -1.0, 1.0));
  t = f.conv(t, 4, 3, {.padding = {1, 1}});
  Node& conv = f.graph.nodes.back();
  quant::QuantSpec& spec = *std::get<Conv2dAttrs>(conv.attributes).weight_quant;
  spec.scales[1] = kCollapsedStep;
  auto& weights = *f.graph.tensor(conv.inputs[1]).float_data;
  const std::size_t fan_in = weights.size() / 4;
  for (std::size_t i = fan_in; i < 2 * fan_in; ++i)
    weights[i] = static_cast<float>((i % 2 == 0 ? 127 : -127) * kCollapsedStep);
  f.graph.tensor(conv.inputs[2]).float_data->at(1) = 0.4f;
  t = f.calibrated_quant(f.relu(t), uint_act(8));
  t = f.linear(f.flatten(t), 10);
  return f.build({f.calibrated_quant(t, int_act(8))});
}

const quant::QuantSpec& conv_weight_spec(const Graph& g) {
  for (const Node& n : g.nodes)
    if (n.op == OpKind::Conv2d) return *n.attrs<Conv2dAttrs>().weight_quant;
  throw std::logic_error("no conv");
}

TEST(LiftCollapsedSteps, CoarsensOnlyTheCollapsedChannelByThePowerOfTwoItNeeds) {
  const Graph fq = collapsed_channel_net(1);
  const Graph fitted = lift_collapsed_steps(fq);
  const auto& before = conv_weight_spec(fq).scales;
  const auto& after = conv_weight_spec(fitted).scales;
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t c = 0; c < before.size(); ++c) {
    if (c == 1) continue;
    EXPECT_EQ(after[c], before[c]) << c;
  }
  const double factor = after[1] / before[1];
  EXPECT_TRUE(quant::is_power_of_two(factor)) << factor;
  // The smallest such power: at least 2^-12 of the largest step, and a bias
  // code within the products' bound; half of it would not do both.
  const double largest = *std::max_element(before.begin(), before.end());
  const double sx = fq.nodes.front().attrs<QuantAttrs>().spec.step(0);
  const double products = 18.0 * 128 * 127;  // fan_in 2·3·3, |x| ≤ 128, |w| ≤ 127
  const auto fits = [&](double s) { return s >= largest * kCollapsedStepRatio && 0.4f / (sx * s) <= products; };
  EXPECT_TRUE(fits(after[1]));
  EXPECT_FALSE(fits(after[1] / 2));
}

TEST(LiftCollapsedSteps, ConversionOfACollapsedChannelIsExactAndFaithful) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const Graph fq = collapsed_channel_net(seed);
    FloatGraph inputs_of("inputs", seed * 31);
    inputs_of.graph = fq;
    const Fidelity f = measure_fidelity(fq, inputs_of.random_inputs(-1.0, 1.0));
    EXPECT_TRUE(f.simulation_bit_exact) << seed;
    EXPECT_GE(static_cast<double>(f.within_one_step), 0.99 * static_cast<double>(f.elements)) << seed;
  }
}

TEST(LiftCollapsedSteps, LeavesGraphsThatFitUnchanged) {
  const Graph fq = classifier_net(3);
  EXPECT_EQ(conv_weight_spec(lift_collapsed_steps(fq)).scales, conv_weight_spec(fq).scales);
}

}  // namespace
}  // namespace bitlab::ir::passes::testing
