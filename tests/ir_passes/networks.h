#pragma once
// Small random fake-quantised networks (the shapes of the issue: a conv/BN/
// ReLU classifier, a residual add block, a depthwise block, a concat), each
// calibrated on random inputs, and the fidelity check of a conversion.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "ir/passes/convert.h"
#include "quant/uniform.h"
#include "runtime/fake_quant.h"
#include "runtime/reference.h"
#include "runtime/simulation.h"
#include "float_graph.h"

namespace bitlab::ir::passes::testing {

constexpr std::int64_t kBatch = 8;

// x → quant → conv 3x3 → bn → relu → quant → avgpool → quant → flatten → linear → quant
inline Graph classifier_net(std::uint64_t seed, int act_bits = 8, int weight_bits = 8) {
  FloatGraph f("classifier", seed);
  const auto x = f.input("x", {kBatch, 2, 8, 8});
  f.calibration = f.random_inputs(-1.0, 1.0);
  auto t = f.quant(x, quant::fit_range(int_act(act_bits), -1.0, 1.0));
  t = f.relu(f.batchnorm(f.conv(t, 4, 3, {.padding = {1, 1}}, weight_bits)));
  t = f.calibrated_quant(t, uint_act(act_bits));
  t = f.calibrated_quant(f.avgpool(t), uint_act(act_bits));
  t = f.linear(f.flatten(t), 10, weight_bits);
  return f.build({f.calibrated_quant(t, int_act(8))});
}

// x → quant → conv → bn → relu → quant (a) → conv → bn → quant (b) → add(b, a)
//   → [relu → quant | nothing] → maxpool → flatten → linear → quant
inline Graph residual_net(std::uint64_t seed, bool quantised_sum = true) {
  FloatGraph f("residual", seed);
  const auto x = f.input("x", {kBatch, 3, 6, 6});
  f.calibration = f.random_inputs(0.0, 1.0);
  const auto xq = f.quant(x, quant::fit_range(uint_act(), 0.0, 1.0));
  const auto a0 = f.conv(xq, 4, 3, {.padding = {1, 1}});
  const auto a = f.calibrated_quant(f.relu(f.batchnorm(a0)), uint_act());
  const auto b = f.calibrated_quant(f.batchnorm(f.conv(a, 4, 3, {.padding = {1, 1}})), int_act());
  auto t = f.add({b, a});
  if (quantised_sum) t = f.calibrated_quant(f.relu(t), uint_act(), quant::RoundingMode::HalfAwayFromZero);
  t = f.linear(f.flatten(f.maxpool(t)), 5);
  return f.build({f.calibrated_quant(t, int_act())});
}

// x → quant → depthwise 3x3 → bn (some gamma < 0) → relu → quant → conv 1x1 → bn → relu → quant
//   → global avgpool → quant → flatten → linear → quant
inline Graph depthwise_net(std::uint64_t seed) {
  FloatGraph f("depthwise", seed);
  const auto x = f.input("x", {kBatch, 4, 6, 6});
  f.calibration = f.random_inputs(-1.0, 1.0);
  auto t = f.quant(x, quant::fit_range(int_act(), -1.0, 1.0));
  t = f.relu(f.batchnorm(f.conv(t, 4, 3, {.padding = {1, 1}, .groups = 4}), /*negative_gamma=*/true));
  t = f.calibrated_quant(t, uint_act());
  t = f.calibrated_quant(f.relu(f.batchnorm(f.conv(t, 6, 1, {}, 4, false))), uint_act());
  t = f.calibrated_quant(f.avgpool(t, {.kernel = {6, 6}, .stride = {6, 6}}), uint_act());
  t = f.linear(f.flatten(t), 4);
  return f.build({f.calibrated_quant(t, int_act())});
}

// x → quant ─┬─ conv 3x3 → relu → quant (a, uint8) ─┐
//            └─ conv 1x1 → quant (b, int8) ──────────┴─ concat [→ quant] → conv → relu → quant → flatten → linear → quant
inline Graph concat_net(std::uint64_t seed, bool quantised_concat = false) {
  FloatGraph f("concat", seed);
  const auto x = f.input("x", {kBatch, 2, 5, 5});
  f.calibration = f.random_inputs(0.0, 1.0);
  const auto xq = f.quant(x, quant::fit_range(uint_act(), 0.0, 1.0));
  const auto a = f.calibrated_quant(f.relu(f.conv(xq, 3, 3, {.padding = {1, 1}})), uint_act());
  const auto b = f.calibrated_quant(f.conv(xq, 2, 1, {}), int_act());
  auto t = f.concat({a, b});
  if (quantised_concat) t = f.calibrated_quant(t, int_act());
  t = f.calibrated_quant(f.relu(f.conv(t, 4, 3, {.padding = {1, 1}})), uint_act());
  t = f.linear(f.flatten(t), 5);
  return f.build({f.calibrated_quant(t, int_act())});
}

// The graph input codes of the converted graph: each float input quantised by
// the spec and rounding of its quant (convert.h's input_quantisers).
inline runtime::IntTensorMap quantise_inputs(const Graph& fake_quantised, const runtime::RealTensorMap& inputs) {
  runtime::IntTensorMap out;
  for (const InputQuantiser& q : input_quantisers(fake_quantised)) {
    const runtime::RealTensor& x = inputs.at(q.name);
    const std::vector<float> values(x.values.begin(), x.values.end());  // float32 inputs, exact
    const auto codes = quant::quantise(values, x.shape, q.spec, {q.rounding});
    out.emplace(q.name, runtime::IntTensor{x.shape, {codes.begin(), codes.end()}});
  }
  return out;
}

struct Fidelity {
  std::int64_t elements = 0;
  std::int64_t within_one_step = 0;  // |dequantised integer − fake-quantised| ≤ one output step
  std::int64_t equal = 0;            // the same output code
  double max_steps = 0.0;
  std::int64_t rows = 0;
  std::int64_t argmax_agree = 0;
  bool simulation_bit_exact = false;
};

// Converts, runs the integer graph (reference and float64 simulation) and the
// fake-quantised graph on `inputs`, and compares output `name` ([N, K]).
inline Fidelity measure_fidelity(const Graph& fq, const runtime::RealTensorMap& inputs,
                                 const ConversionOptions& options = {}) {
  const Graph integer = convert(fq, options);
  const runtime::IntTensorMap codes = quantise_inputs(fq, inputs);
  const runtime::IntTensorMap reference = runtime::run_reference(integer, codes);
  Fidelity f;
  f.simulation_bit_exact = runtime::to_int(runtime::run_simulation(integer, runtime::to_sim(codes))) == reference;
  const runtime::RealTensorMap fake = runtime::run_fake_quantised(fq, inputs);
  const std::string& name = fq.outputs.at(0);
  const Tensor& info = integer.tensor(name);
  const runtime::RealTensor& expected = fake.at(name);
  const runtime::IntTensor& got_codes = reference.at(name);
  const std::vector<double> got = runtime::dequantise(runtime::to_sim({{name, got_codes}}).at(name), info);
  const double step = info.quant().scale();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double steps = std::abs(got[i] - expected.values[i]) / step;
    ++f.elements;
    f.within_one_step += steps <= 1.0 + 1e-9;
    f.equal += steps <= 1e-9;
    f.max_steps = std::max(f.max_steps, steps);
  }
  const std::int64_t k = expected.shape.at(1);
  // Agreement: the integer graph's top class is a top class of the fake-quantised
  // graph (its logits are codes too, so ties happen).
  for (std::int64_t r = 0; r < expected.shape.at(0); ++r) {
    const auto first = static_cast<std::size_t>(r * k), last = static_cast<std::size_t>((r + 1) * k);
    const auto top = std::max_element(got.begin() + first, got.begin() + last) - got.begin();
    const double best = *std::max_element(expected.values.begin() + first, expected.values.begin() + last);
    ++f.rows;
    f.argmax_agree += expected.values[static_cast<std::size_t>(top)] == best;
  }
  return f;
}

}  // namespace bitlab::ir::passes::testing
