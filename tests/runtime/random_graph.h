#pragma once
// Random small integer graphs for property tests (rapidcheck generators; call
// inside a property): every integer op, random shapes, strides, paddings,
// dilations, dense or depthwise convs, per-channel weight zero points, code
// widths, zero points, scales and multiplier widths. The runtime property
// tests and the ONNX round trip both draw from here.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include "ir/requant_params.h"
#include "ir/shape_inference.h"
#include "op_graph.h"

namespace bitlab::runtime::testing {

// Uniform integer in [lo, hi] (inclusive).
inline std::int64_t pick(std::int64_t lo, std::int64_t hi) { return *rc::gen::inRange<std::int64_t>(lo, hi + 1); }
inline bool coin() { return *rc::gen::arbitrary<bool>(); }

// A scale in [lo, hi] on a grid of 1e-4; with `powers_of_two`, half the time a
// power of two, which makes the real multipliers exact dyadics and rounding ties frequent.
inline double random_scale(double lo, double hi, bool powers_of_two = true) {
  if (powers_of_two && coin())
    return std::ldexp(1.0, static_cast<int>(pick(std::lround(std::ceil(std::log2(lo))), std::lround(std::floor(std::log2(hi))))));
  return static_cast<double>(pick(std::llround(lo * 1e4), std::llround(hi * 1e4))) / 1e4;
}

inline ir::ElementType code_type(int min_bits, int max_bits) {
  const int bits = static_cast<int>(pick(min_bits, max_bits));
  return ir::ElementType::integer(bits, coin(), bits >= 2 && coin());
}

inline std::int32_t zero_point(const ir::ElementType& t) { return static_cast<std::int32_t>(pick(t.min_value(), t.max_value())); }

inline std::vector<std::int64_t> codes(const ir::ElementType& t, std::int64_t n) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(pick(t.min_value(), t.max_value()));
  return v;
}

// The clamp of a requantised output: the full range, or a fused ReLU (§10.2).
inline quant::OutputClamp clamp_for(const ir::ElementType& t, std::int32_t z) {
  const auto lo = static_cast<std::int32_t>(t.min_value());
  const auto hi = static_cast<std::int32_t>(t.max_value());
  return coin() ? quant::OutputClamp{lo, hi} : quant::OutputClamp{std::max(lo, z), hi};
}

struct RandomGraphOptions {
  bool power_of_two_scales = true;  // half the scales powers of two (ties)
  int max_weight_bits = 6;
  int max_multiplier_bits = 30;
  int max_output_bits = 8;          // of the final requant "y"
  bool reshape = false;             // a reshape before the flatten
};

// Random inputs for every graph input, over its code range.
inline IntTensorMap random_inputs(const ir::Graph& g) {
  IntTensorMap in;
  for (const std::string& name : g.inputs) {
    const ir::Tensor& t = g.tensor(name);
    in[name] = {t.shape, codes(t.type, ir::num_elements(t.shape))};
  }
  return in;
}

// x → conv2d → acc → requant (two ways) → add → maxpool | avgpool + requant →
//   concat(t, clip(t)) → [reshape] → flatten → linear → requant → y; outputs y and t.
inline ir::Graph random_graph(const RandomGraphOptions& o = {}) {
  const auto scale = [&](double lo, double hi) { return random_scale(lo, hi, o.power_of_two_scales); };
  const auto dyadic = [&] { return quant::DyadicOptions{.multiplier_bits = static_cast<int>(pick(8, o.max_multiplier_bits))}; };
  OpGraph b;
  // A requant of `in` (accumulator with per-channel `in_scales` on axis 1, or one scale) to a fresh code tensor.
  const auto requant = [&](const std::string& in, const std::vector<double>& in_scales, const std::string& out,
                           int max_bits) {
    const ir::ElementType type = code_type(2, max_bits);
    const std::int32_t z = zero_point(type);
    const double s = scale(0.01, 0.5);
    std::vector<double> m;
    for (const double si : in_scales) m.push_back(si / s);
    b.op(out, ir::OpKind::Requant, {in}, type, pt(s, z), ir::make_requant(m, clamp_for(type, z), 1, dyadic()));
  };
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
  const ir::ElementType wt = code_type(2, o.max_weight_bits);
  std::vector<double> sw, acc_scales;
  std::vector<std::int32_t> zw;
  for (std::int64_t k = 0; k < out_channels; ++k) {
    sw.push_back(scale(0.005, 0.1));
    zw.push_back(coin() ? 0 : zero_point(wt));
    acc_scales.push_back(sx * sw.back());
  }
  const ir::Shape w_shape = {out_channels, c / conv.groups, kernel[0], kernel[1]};
  b.constant("w", w_shape, wt, ir::Quantization::per_channel(0, sw, zw), codes(wt, ir::num_elements(w_shape)));
  std::vector<std::string> conv_inputs = {"x", "w"};
  if (coin()) {
    b.constant("b", {out_channels}, i32(), ir::Quantization::per_channel(0, acc_scales),
               codes(ir::ElementType::integer(12, true), out_channels));
    conv_inputs.push_back("b");
  }
  b.op("acc", ir::OpKind::Conv2d, conv_inputs, i32(), ir::Quantization::per_channel(1, acc_scales), conv);

  requant("acc", acc_scales, "r1", 8);
  requant("acc", acc_scales, "r2", 8);
  const ir::ElementType at = code_type(2, 8);
  const std::int32_t az = zero_point(at);
  const double as = scale(0.02, 0.5);
  const std::vector<double> add_scales = {b.graph.tensor("r1").quant().scale(), b.graph.tensor("r2").quant().scale()};
  b.op("sum", ir::OpKind::Add, {"r1", "r2"}, at, pt(as, az),
       ir::AddAttrs{ir::make_add_requant(add_scales, as, clamp_for(at, az), dyadic())});

  const ir::Shape& s = b.graph.tensor("sum").shape;
  ir::PoolAttrs pool{.kernel = {pick(1, std::min<std::int64_t>(2, s[2])), pick(1, std::min<std::int64_t>(2, s[3]))}};
  pool.stride = {pick(1, 2), pick(1, 2)};
  pool.padding = {pick(0, pool.kernel[0] / 2), pick(0, pool.kernel[1] / 2)};
  if (coin()) {
    b.op("t", ir::OpKind::MaxPool, {"sum"}, at, pt(as, az), pool);
  } else {
    const double sum_scale = as / static_cast<double>(pool.kernel[0] * pool.kernel[1]);
    b.op("window", ir::OpKind::AvgPool, {"sum"}, i32(), pt(sum_scale), pool);
    requant("window", {sum_scale}, "t", 8);
  }
  const ir::Tensor& t = b.graph.tensor("t");
  const ir::ElementType tt = t.type;
  const ir::Quantization tq = t.quant();
  const std::int64_t lo = pick(tt.min_value(), tt.max_value());
  b.op("clipped", ir::OpKind::Clip, {"t"}, tt, tq,
       ir::ClipAttrs{static_cast<std::int32_t>(lo), static_cast<std::int32_t>(pick(lo, tt.max_value()))});
  b.op("cat", ir::OpKind::Concat, {"t", "clipped"}, tt, tq, ir::ConcatAttrs{pick(1, 3)});
  std::string flat_input = "cat";
  if (o.reshape) {
    const ir::Shape& cs = b.graph.tensor("cat").shape;
    b.op("reshaped", ir::OpKind::Reshape, {"cat"}, tt, tq, ir::ReshapeAttrs{{cs[0], -1, cs[3]}});
    flat_input = "reshaped";
  }
  b.op("flat", ir::OpKind::Flatten, {flat_input}, tt, tq, ir::FlattenAttrs{1});

  const std::int64_t features = b.graph.tensor("flat").shape[1];
  const std::int64_t outputs = pick(1, 4);
  const ir::ElementType ft = code_type(2, o.max_weight_bits);
  const double sf = scale(0.005, 0.1);
  b.constant("fw", {outputs, features}, ft, pt(sf), codes(ft, outputs * features));
  b.op("acc2", ir::OpKind::Linear, {"flat", "fw"}, i32(), pt(tq.scale() * sf), ir::LinearAttrs{});
  requant("acc2", {tq.scale() * sf}, "y", o.max_output_bits);
  return b.build({"y", "t"});
}

}  // namespace bitlab::runtime::testing
