// Properties: on random small graphs (every integer op, random shapes, zero
// points, scales and multiplier widths) the float64 simulation equals the
// integer reference runtime bit for bit, and graphs survive a save/load.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "ir/requant_params.h"
#include "ir/serialize.h"
#include "ir/shape_inference.h"
#include "op_graph.h"

namespace bitlab::runtime {
namespace {

using namespace testing;
using ir::OpKind;

// Uniform integer in [lo, hi] (inclusive).
std::int64_t pick(std::int64_t lo, std::int64_t hi) { return *rc::gen::inRange<std::int64_t>(lo, hi + 1); }
bool coin() { return *rc::gen::arbitrary<bool>(); }
// A scale in [lo, hi]: half the time a power of two, which makes the real
// multipliers exact dyadics and rounding ties frequent; otherwise on a grid of 1e-4.
double scale(double lo, double hi) {
  if (coin()) return std::ldexp(1.0, static_cast<int>(pick(std::lround(std::ceil(std::log2(lo))), std::lround(std::floor(std::log2(hi))))));
  return static_cast<double>(pick(std::llround(lo * 1e4), std::llround(hi * 1e4))) / 1e4;
}

ir::ElementType code_type(int min_bits, int max_bits) {
  const int bits = static_cast<int>(pick(min_bits, max_bits));
  return ir::ElementType::integer(bits, coin(), bits >= 2 && coin());
}

std::int32_t zero_point(const ir::ElementType& t) { return static_cast<std::int32_t>(pick(t.min_value(), t.max_value())); }

std::vector<std::int64_t> codes(const ir::ElementType& t, std::int64_t n) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(pick(t.min_value(), t.max_value()));
  return v;
}

// The clamp of a requantised output: the full range, or a fused ReLU (§10.2).
quant::OutputClamp clamp_for(const ir::ElementType& t, std::int32_t z) {
  const auto lo = static_cast<std::int32_t>(t.min_value());
  const auto hi = static_cast<std::int32_t>(t.max_value());
  return coin() ? quant::OutputClamp{lo, hi} : quant::OutputClamp{std::max(lo, z), hi};
}

quant::DyadicOptions dyadic() { return {.multiplier_bits = static_cast<int>(pick(8, 30))}; }

// Adds a requant of `in` (accumulator with per-channel `in_scales` on axis 1, or one scale) to a fresh code tensor.
void requant(OpGraph& b, const std::string& in, const std::vector<double>& in_scales, const std::string& out) {
  const ir::ElementType type = code_type(2, 8);
  const std::int32_t z = zero_point(type);
  const double s = scale(0.01, 0.5);
  std::vector<double> m;
  for (const double si : in_scales) m.push_back(si / s);
  b.op(out, OpKind::Requant, {in}, type, pt(s, z), ir::make_requant(m, clamp_for(type, z), 1, dyadic()));
}

// x -> conv2d -> acc -> requant (two ways) -> add -> maxpool | avgpool+requant -> concat(t, clip(t))
//   -> flatten -> linear -> requant -> y
ir::Graph random_graph() {
  OpGraph b;
  const std::int64_t n = pick(1, 2), c = pick(1, 4), h = pick(3, 7), w = pick(3, 7);
  const ir::ElementType xt = code_type(2, 8);
  const double sx = scale(0.005, 0.1);
  b.input("x", {n, c, h, w}, xt, pt(sx, zero_point(xt)));

  ir::Conv2dAttrs conv;
  conv.groups = coin() ? 1 : c;  // dense or depthwise
  const std::int64_t out_channels = conv.groups * pick(1, 3);
  const ir::Pair kernel = {pick(1, 3), pick(1, 3)};
  for (int d = 0; d < 2; ++d) {
    conv.stride[d] = pick(1, 2);
    conv.padding[d] = pick(0, 1);
    conv.dilation[d] = pick(1, 2);
    const std::int64_t size = d == 0 ? h : w;
    if (ir::window_output_size(size, kernel[d], conv.stride[d], conv.padding[d], conv.dilation[d]) < 1) conv.dilation[d] = 1;
  }
  const ir::ElementType wt = code_type(2, 6);
  std::vector<double> sw;
  std::vector<std::int32_t> zw;
  for (std::int64_t o = 0; o < out_channels; ++o) {
    sw.push_back(scale(0.005, 0.1));
    zw.push_back(coin() ? 0 : zero_point(wt));
  }
  const ir::Shape w_shape = {out_channels, c / conv.groups, kernel[0], kernel[1]};
  b.constant("w", w_shape, wt, ir::Quantization::per_channel(0, sw, zw), codes(wt, ir::num_elements(w_shape)));
  std::vector<double> acc_scales;
  for (const double s : sw) acc_scales.push_back(sx * s);
  std::vector<std::string> conv_inputs = {"x", "w"};
  if (coin()) {
    b.constant("b", {out_channels}, i32(), ir::Quantization::per_channel(0, acc_scales), codes(ir::ElementType::integer(12, true), out_channels));
    conv_inputs.push_back("b");
  }
  b.op("acc", OpKind::Conv2d, conv_inputs, i32(), ir::Quantization::per_channel(1, acc_scales), conv);

  requant(b, "acc", acc_scales, "r1");
  requant(b, "acc", acc_scales, "r2");
  const ir::ElementType at = code_type(2, 8);
  const std::int32_t az = zero_point(at);
  const double as = scale(0.02, 0.5);
  const std::vector<double> add_scales = {b.graph.tensor("r1").quant().scale(), b.graph.tensor("r2").quant().scale()};
  b.op("sum", OpKind::Add, {"r1", "r2"}, at, pt(as, az), ir::AddAttrs{ir::make_add_requant(add_scales, as, clamp_for(at, az), dyadic())});

  const ir::Shape& s = b.graph.tensor("sum").shape;
  ir::PoolAttrs pool{.kernel = {pick(1, std::min<std::int64_t>(2, s[2])), pick(1, std::min<std::int64_t>(2, s[3]))}};
  pool.stride = {pick(1, 2), pick(1, 2)};
  pool.padding = {pick(0, pool.kernel[0] / 2), pick(0, pool.kernel[1] / 2)};
  if (coin()) {
    b.op("t", OpKind::MaxPool, {"sum"}, at, pt(as, az), pool);
  } else {
    const double sum_scale = as / static_cast<double>(pool.kernel[0] * pool.kernel[1]);
    b.op("window", OpKind::AvgPool, {"sum"}, i32(), pt(sum_scale), pool);
    requant(b, "window", {sum_scale}, "t");
  }
  const ir::Tensor& t = b.graph.tensor("t");
  const ir::ElementType tt = t.type;
  const ir::Quantization tq = t.quant();
  const std::int64_t lo = pick(tt.min_value(), tt.max_value());
  b.op("clipped", OpKind::Clip, {"t"}, tt, tq, ir::ClipAttrs{static_cast<std::int32_t>(lo), static_cast<std::int32_t>(pick(lo, tt.max_value()))});
  b.op("cat", OpKind::Concat, {"t", "clipped"}, tt, tq, ir::ConcatAttrs{pick(1, 3)});
  b.op("flat", OpKind::Flatten, {"cat"}, tt, tq, ir::FlattenAttrs{1});

  const std::int64_t features = b.graph.tensor("flat").shape[1];
  const std::int64_t outputs = pick(1, 4);
  const ir::ElementType ft = code_type(2, 6);
  const double sf = scale(0.005, 0.1);
  b.constant("fw", {outputs, features}, ft, pt(sf), codes(ft, outputs * features));
  b.op("acc2", OpKind::Linear, {"flat", "fw"}, i32(), pt(tq.scale() * sf), ir::LinearAttrs{});
  requant(b, "acc2", {tq.scale() * sf}, "y");
  return b.build({"y", "t"});
}

IntTensorMap random_inputs(const ir::Graph& g) {
  IntTensorMap in;
  for (const std::string& name : g.inputs) {
    const ir::Tensor& t = g.tensor(name);
    in[name] = {t.shape, codes(t.type, ir::num_elements(t.shape))};
  }
  return in;
}

RC_GTEST_PROP(RuntimeProperty, Float64SimulationEqualsTheIntegerRuntime, ()) {
  const ir::Graph g = random_graph();
  const IntTensorMap in = random_inputs(g);
  const IntTensorMap reference = run_reference(g, in);
  // How often the output is informative rather than pinned to its clamp bounds.
  const auto& y = reference.at("y").values;
  const ir::Tensor& yt = g.tensor("y");
  RC_TAG(std::any_of(y.begin(), y.end(), [&](std::int64_t v) { return v != yt.type.min_value() && v != yt.type.max_value(); })
             ? "y has unclamped values"
             : "y fully clamped");
  RC_ASSERT(to_int(run_simulation(g, to_sim(in))) == reference);
}

// Requant on its own, with accumulators up to 2^21 and every multiplier width
// and shift §9.4 allows: both executors round the same ties the same way.
RC_GTEST_PROP(RuntimeProperty, RequantAgreesAtEveryMultiplierWidth, ()) {
  const int bits = static_cast<int>(pick(1, 31));
  // Half the time M = 2^−j exactly (m = 2^(bits−1)), so that ties are common.
  const bool ties = coin();
  const auto shift = static_cast<int>(ties ? bits - 1 + pick(1, 4) : pick(0, 52 - bits));
  const std::int64_t m = ties ? std::int64_t{1} << (bits - 1) : pick(std::int64_t{1} << (bits - 1), (std::int64_t{1} << bits) - 1);
  const ir::ElementType out = code_type(2, 16);
  const std::int32_t z = zero_point(out);
  OpGraph b;
  b.input("acc", {8}, i32(), pt(1.0, 0))
      .op("y", OpKind::Requant, {"acc"}, out, pt(1.0, z),
          ir::RequantAttrs{{{m, shift}}, 0, static_cast<std::int32_t>(out.min_value()), static_cast<std::int32_t>(out.max_value())});
  const ir::Graph g = b.build({"y"});
  // Accumulators that land in or just outside the output range (so few are
  // clamped and ties show), kept within §9.4's exactness bound |x·m| < 2^52.
  IntTensorMap in = {{"acc", {{8}, {}}}};
  const double real = std::ldexp(static_cast<double>(m), -shift);
  const std::int64_t reach = std::min<std::int64_t>(std::int64_t{1} << 21, (std::int64_t{1} << (52 - bits)) - 1);
  for (int i = 0; i < 8; ++i) {
    const double target = static_cast<double>(pick(out.min_value() - z - 1, out.max_value() - z + 1));
    const std::int64_t x = std::llround(target / real) + pick(-3, 3);
    in["acc"].values.push_back(std::clamp(x, -reach, reach));
  }
  RC_ASSERT(to_int(run_simulation(g, to_sim(in))) == run_reference(g, in));
}

RC_GTEST_PROP(RuntimeProperty, RandomGraphsSurviveSaveAndLoad, ()) {
  const ir::Graph g = random_graph();
  const std::filesystem::path json =
      std::filesystem::temp_directory_path() / ("bitlab_runtime_prop_" + std::to_string(::getpid()) + ".tq.json");
  ir::save_graph(g, json);
  const ir::Graph loaded = ir::load_graph(json);
  std::filesystem::remove(json);
  std::filesystem::remove(ir::weights_path_for(json));
  RC_ASSERT(loaded == g);
}

}  // namespace
}  // namespace bitlab::runtime
