#pragma once
// Random integer conv / linear graphs for the differential tests of the fast
// executor against the reference runtime (tests/runtime/executor_test.cpp).
#include <algorithm>
#include <cmath>
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/requant_params.h"
#include "ir/shape_inference.h"
#include "runtime/fast/isa.h"
#include "runtime/tensor.h"

namespace bitlab::runtime::testing {

using Rng = std::mt19937_64;

inline std::int64_t draw(Rng& rng, std::int64_t lo, std::int64_t hi) {  // inclusive; tests only need a spread
  return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}

struct ConvCase {
  bool linear = false;
  std::int64_t N = 1, C = 1, H = 1, W = 1, O = 1, KH = 1, KW = 1, stride = 1, pad = 0, dil = 1, groups = 1;
  std::int64_t stride_w = 0;  // 0: the same as stride
  int act_bits = 8, weight_bits = 8, out_bits = 8;
  bool act_signed = false, out_signed = false, weight_narrow = false;
  bool binary_weights = false;  // every weight − zw is ±1
  bool per_channel = true, bias = true, relu = false;

  [[nodiscard]] std::string describe() const {
    return (linear ? std::string("linear") : std::string("conv")) + " N" + std::to_string(N) + " C" + std::to_string(C) +
           " H" + std::to_string(H) + " W" + std::to_string(W) + " O" + std::to_string(O) + " k" + std::to_string(KH) + "x" +
           std::to_string(KW) + " s" + std::to_string(stride) + (stride_w > 0 ? "x" + std::to_string(stride_w) : "") + " p" + std::to_string(pad) + " d" + std::to_string(dil) +
           " g" + std::to_string(groups) + " a" + std::to_string(act_bits) + (act_signed ? "s" : "u") + " w" +
           std::to_string(weight_bits) + (binary_weights ? "b" : "") + " o" + std::to_string(out_bits);
  }
};

inline ConvCase random_case(Rng& rng) {
  ConvCase c;
  c.linear = draw(rng, 0, 5) == 0;
  c.N = draw(rng, 1, 3);
  const int bits[] = {1, 2, 4, 8};
  c.act_bits = bits[draw(rng, 0, 3)];
  c.weight_bits = bits[draw(rng, 0, 3)];
  c.out_bits = draw(rng, 0, 3) == 0 ? 4 : 8;
  c.act_signed = draw(rng, 0, 1) == 1;
  c.out_signed = draw(rng, 0, 1) == 1;
  c.binary_weights = draw(rng, 0, 3) == 0;
  c.per_channel = draw(rng, 0, 3) != 0;
  c.bias = draw(rng, 0, 3) != 0;
  c.relu = draw(rng, 0, 2) == 0;
  if (c.linear) {
    c.C = draw(rng, 1, 150);
    c.O = draw(rng, 1, 20);
    return c;
  }
  c.groups = 1;
  const std::int64_t kind = draw(rng, 0, 5);
  c.C = draw(rng, 1, 24);
  c.O = draw(rng, 1, 19);
  if (kind == 0) {  // depthwise
    c.groups = c.C;
    c.O = c.C;
  } else if (kind == 1) {  // grouped
    c.groups = draw(rng, 1, 3);
    c.C = c.groups * draw(rng, 1, 6);
    c.O = c.groups * draw(rng, 1, 7);
  }
  c.KH = draw(rng, 1, 3);
  c.KW = draw(rng, 1, 3);
  c.stride = draw(rng, 0, 3) == 0 ? 2 : 1;
  c.pad = draw(rng, 0, 2) == 0 ? 0 : draw(rng, 1, 2);
  c.dil = draw(rng, 0, 5) == 0 ? 2 : 1;
  c.H = draw(rng, c.dil * (c.KH - 1) + 1, 14);
  c.W = draw(rng, c.dil * (c.KW - 1) + 1, 21);
  return c;
}

// A depthwise layer (C = O = groups) drawn like random_case: odd channel counts (+16 when
// `many_channels`), kernels 1–5, strides 1–2, padding 0–2, dilation 2 in a fifth of the draws
// when `dilation`, planes up to 40 × 37 on the trials that ask for tall / wide ones.
inline ConvCase random_depthwise_case(Rng& rng, int trial, bool many_channels, bool dilation) {
  ConvCase c = random_case(rng);
  c.linear = false;
  c.binary_weights = false;
  c.C = c.O = c.groups = draw(rng, 1, 5) * 2 - 1 + (many_channels ? 16 : 0);
  c.KH = draw(rng, 1, 5);
  c.KW = draw(rng, 1, 5);
  c.stride = draw(rng, 1, 2);
  c.pad = draw(rng, 0, 2);
  c.dil = dilation && draw(rng, 0, 4) == 0 ? 2 : 1;
  c.H = draw(rng, c.dil * (c.KH - 1) + 1, trial % 5 == 0 ? 40 : 12);
  c.W = draw(rng, c.dil * (c.KW - 1) + 1, trial % 3 == 0 ? 37 : 9);
  c.act_bits = std::array{8, 4, 2}[static_cast<std::size_t>(trial % 3)];
  return c;
}

inline ir::ElementType code_type(int bits, bool is_signed, bool narrow = false) {
  return ir::ElementType::integer(bits, is_signed, narrow && bits >= 2);
}

// x → conv2d / linear (+ bias) → acc (int32) → requant (per channel) → y.
inline ir::Graph conv_graph(const ConvCase& c, Rng& rng) {
  ir::Graph g;
  g.name = "fuzz";
  const ir::ElementType xt = code_type(c.act_bits, c.act_signed);
  const std::int64_t zx = draw(rng, xt.min_value(), xt.max_value());
  const double sx = 0.05;
  ir::Shape xs = c.linear ? ir::Shape{c.N, c.C} : ir::Shape{c.N, c.C, c.H, c.W};
  g.add_tensor(ir::int_tensor("x", xs, xt, ir::Quantization::per_tensor(sx, static_cast<std::int32_t>(zx))));
  g.inputs = {"x"};

  const std::int64_t Cg = c.C / c.groups;
  const ir::Shape ws = c.linear ? ir::Shape{c.O, c.C} : ir::Shape{c.O, Cg, c.KH, c.KW};
  const std::int64_t K = c.linear ? c.C : Cg * c.KH * c.KW;
  // Binary weights are ±1 codes of a 2-bit narrow type (zero point 0); others random codes
  // with a random zero point per channel (sub-byte types) or 0 (8-bit, as bitlab converts).
  const ir::ElementType wt = c.binary_weights ? code_type(2, true, true) : code_type(c.weight_bits, true, c.weight_narrow);
  const std::int64_t channels = c.per_channel ? c.O : 1;
  std::vector<double> sw;
  std::vector<std::int32_t> zw;
  for (std::int64_t o = 0; o < channels; ++o) {
    sw.push_back(0.01 * static_cast<double>(draw(rng, 1, 8)));
    zw.push_back(c.binary_weights || c.weight_bits == 8 || draw(rng, 0, 1) == 0
                     ? 0
                     : static_cast<std::int32_t>(draw(rng, wt.min_value(), wt.max_value())));
  }
  std::vector<std::int64_t> w;
  for (std::int64_t i = 0; i < c.O * K; ++i) {
    w.push_back(c.binary_weights ? (draw(rng, 0, 1) ? 1 : -1) : draw(rng, wt.min_value(), wt.max_value()));
  }
  const ir::Quantization wq = c.per_channel ? ir::Quantization::per_channel(0, sw, zw) : ir::Quantization::per_tensor(sw[0], zw[0]);
  g.add_tensor(ir::int_constant("w", ws, wt, wq, w));
  std::vector<double> sacc;
  for (const double s : sw) sacc.push_back(sx * s);
  const ir::Quantization accq = c.per_channel ? ir::Quantization::per_channel(1, sacc) : ir::Quantization::per_tensor(sacc[0]);
  std::vector<std::string> inputs = {"x", "w"};
  if (c.bias) {
    std::vector<std::int64_t> b;
    for (std::int64_t o = 0; o < c.O; ++o) b.push_back(draw(rng, -5000, 5000));
    const ir::Quantization bq = c.per_channel ? ir::Quantization::per_channel(0, sacc) : ir::Quantization::per_tensor(sacc[0]);
    g.add_tensor(ir::int_constant("b", {c.O}, ir::ElementType::integer(32, true), bq, b));
    inputs.push_back("b");
  }
  ir::Node conv{"conv", c.linear ? ir::OpKind::Linear : ir::OpKind::Conv2d, inputs, {"acc"},
                c.linear ? ir::Attributes{ir::LinearAttrs{}}
                         : ir::Attributes{ir::Conv2dAttrs{.stride = {c.stride, c.stride_w > 0 ? c.stride_w : c.stride},
                                                          .padding = {c.pad, c.pad},
                                                          .dilation = {c.dil, c.dil},
                                                          .groups = c.groups}}};
  g.add_tensor(ir::int_tensor("acc", ir::infer_output_shape(g, conv), ir::ElementType::integer(32, true), accq));
  g.add_node(conv);

  const ir::ElementType yt = code_type(c.out_bits, c.out_signed);
  const std::int64_t zy = draw(rng, yt.min_value(), yt.max_value());
  const double sy = 0.1;
  std::vector<double> m;
  // Multipliers near (code range) / (typical |acc|) so outputs spread over the codes instead of
  // saturating; the runtime never recomputes them from the scales (§14.0).
  const double ax = static_cast<double>(std::max(std::abs(xt.min_value() - zx), std::abs(xt.max_value() - zx)));
  const double aw = static_cast<double>(std::max(std::abs(wt.min_value()), wt.max_value())) + 1.0;
  const double typical = std::sqrt(static_cast<double>(K)) * ax * aw / 2.0 + 1.0;
  for (std::size_t o = 0; o < sacc.size(); ++o)
    m.push_back(static_cast<double>(yt.max_value() - yt.min_value() + 1) / typical * std::ldexp(1.0, -static_cast<int>(draw(rng, 0, 3))));
  const std::int32_t lo = static_cast<std::int32_t>(c.relu ? std::max(zy, yt.min_value()) : yt.min_value());
  const int multiplier_bits = draw(rng, 0, 3) == 0 ? 32 : 31;
  ir::RequantAttrs ra = ir::make_requant(m, quant::OutputClamp{lo, static_cast<std::int32_t>(yt.max_value())}, 1,
                                         {.multiplier_bits = multiplier_bits});
  g.add_tensor(ir::int_tensor("y", g.tensor("acc").shape, yt, ir::Quantization::per_tensor(sy, static_cast<std::int32_t>(zy))));
  g.add_node(ir::Node{"rq", ir::OpKind::Requant, {"acc"}, {"y"}, ra});
  g.outputs = {"y"};
  return g;
}

inline IntTensorMap random_inputs(const ir::Graph& g, Rng& rng) {
  IntTensorMap inputs;
  for (const std::string& name : g.inputs) {
    const ir::Tensor& t = g.tensor(name);
    IntTensor x{t.shape, {}};
    for (std::int64_t i = 0; i < ir::num_elements(t.shape); ++i) x.values.push_back(draw(rng, t.type.min_value(), t.type.max_value()));
    inputs.emplace(name, std::move(x));
  }
  return inputs;
}

inline std::vector<fast::Isa> supported_isas() {
  std::vector<fast::Isa> out;
  for (const fast::Isa isa : {fast::Isa::Portable, fast::Isa::Avx2, fast::Isa::Avx512})
    if (fast::isa_supported(isa)) out.push_back(isa);
  return out;
}

}  // namespace bitlab::runtime::testing
