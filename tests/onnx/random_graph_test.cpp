// Property: random integer graphs (every integer op, per-channel weight zero
// points, dilations, depthwise, code widths 2…16, multipliers of 8…31 bits)
// survive export → checker → import unchanged, and compute the same codes.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>

#include "ir/requant_params.h"
#include "ir/shape_inference.h"
#include "onnx/integer_export.h"
#include "onnx/integer_import.h"
#include "onnx/model_io.h"
#include "onnx_eval.h"
#include "op_graph.h"

namespace bitlab::onnx_io {
namespace {

using ir::OpKind;
using runtime::testing::i32;
using runtime::testing::OpGraph;
using runtime::testing::pt;

std::int64_t pick(std::int64_t lo, std::int64_t hi) { return *rc::gen::inRange<std::int64_t>(lo, hi + 1); }
bool coin() { return *rc::gen::arbitrary<bool>(); }
double scale(double lo, double hi) { return static_cast<double>(pick(std::llround(lo * 1e4), std::llround(hi * 1e4))) / 1e4; }
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
quant::OutputClamp clamp_for(const ir::ElementType& t, std::int32_t z) {
  const auto lo = static_cast<std::int32_t>(t.min_value()), hi = static_cast<std::int32_t>(t.max_value());
  return coin() ? quant::OutputClamp{lo, hi} : quant::OutputClamp{std::max(lo, z), hi};
}
quant::DyadicOptions dyadic() { return {.multiplier_bits = static_cast<int>(pick(8, 31))}; }

void requant(OpGraph& b, const std::string& in, const std::vector<double>& in_scales, const std::string& out,
             int max_bits = 8) {
  const ir::ElementType type = code_type(2, max_bits);
  const std::int32_t z = zero_point(type);
  const double s = scale(0.01, 0.5);
  std::vector<double> m;
  for (const double si : in_scales) m.push_back(si / s);
  b.op(out, OpKind::Requant, {in}, type, pt(s, z), ir::make_requant(m, clamp_for(type, z), 1, dyadic()));
}

// x → conv2d (per-channel zw, maybe depthwise, dilated) → requant ×2 → add →
// maxpool | avgpool + requant → concat(t, clip(t)) → reshape → flatten → linear → requant (≤ 16 bits)
ir::Graph random_graph() {
  OpGraph b;
  const std::int64_t n = pick(1, 2), c = pick(1, 4), h = pick(3, 7), w = pick(3, 7);
  const ir::ElementType xt = code_type(2, 8);
  const double sx = scale(0.005, 0.1);
  b.input("x", {n, c, h, w}, xt, pt(sx, zero_point(xt)));
  ir::Conv2dAttrs conv;
  conv.groups = coin() ? 1 : c;
  const std::int64_t out_channels = conv.groups * pick(1, 3);
  const ir::Pair kernel = {pick(1, 3), pick(1, 3)};
  for (int d = 0; d < 2; ++d) {
    conv.stride[d] = pick(1, 2);
    conv.padding[d] = pick(0, 1);
    conv.dilation[d] = pick(1, 2);
    if (ir::window_output_size(d == 0 ? h : w, kernel[d], conv.stride[d], conv.padding[d], conv.dilation[d]) < 1) {
      conv.dilation[d] = 1;
    }
  }
  const ir::ElementType wt = code_type(2, 8);
  std::vector<double> sw, acc_scales;
  std::vector<std::int32_t> zw;
  for (std::int64_t o = 0; o < out_channels; ++o) {
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
  b.op("acc", OpKind::Conv2d, conv_inputs, i32(), ir::Quantization::per_channel(1, acc_scales), conv);
  requant(b, "acc", acc_scales, "r1");
  requant(b, "acc", acc_scales, "r2");
  const ir::ElementType at = code_type(2, 8);
  const std::int32_t az = zero_point(at);
  const double as = scale(0.02, 0.5);
  const std::vector<double> add_scales = {b.graph.tensor("r1").quant().scale(), b.graph.tensor("r2").quant().scale()};
  b.op("sum", OpKind::Add, {"r1", "r2"}, at, pt(as, az),
       ir::AddAttrs{ir::make_add_requant(add_scales, as, clamp_for(at, az), dyadic())});
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
  b.op("clipped", OpKind::Clip, {"t"}, tt, tq,
       ir::ClipAttrs{static_cast<std::int32_t>(lo), static_cast<std::int32_t>(pick(lo, tt.max_value()))});
  b.op("cat", OpKind::Concat, {"t", "clipped"}, tt, tq, ir::ConcatAttrs{pick(1, 3)});
  const ir::Shape& cs = b.graph.tensor("cat").shape;
  b.op("reshaped", OpKind::Reshape, {"cat"}, tt, tq, ir::ReshapeAttrs{{cs[0], -1, cs[3]}});
  b.op("flat", OpKind::Flatten, {"reshaped"}, tt, tq, ir::FlattenAttrs{1});
  const std::int64_t features = b.graph.tensor("flat").shape[1];
  const std::int64_t outputs = pick(1, 4);
  const ir::ElementType ft = code_type(2, 8);
  const double sf = scale(0.005, 0.1);
  b.constant("fw", {outputs, features}, ft, pt(sf), codes(ft, outputs * features));
  b.op("acc2", OpKind::Linear, {"flat", "fw"}, i32(), pt(tq.scale() * sf), ir::LinearAttrs{});
  requant(b, "acc2", {tq.scale() * sf}, "y", 16);
  return b.build({"y", "t"});
}

RC_GTEST_PROP(IntegerOnnxProperty, RandomGraphsRoundTripBitForBit, ()) {
  const ir::Graph g = random_graph();
  const pb::ModelProto model = export_integer(g);
  check_model(model);  // throws, failing the property, on any checker complaint
  const ir::Graph back = import_integer(model);
  RC_ASSERT(back.nodes == g.nodes);
  for (const ir::Tensor& t : g.tensors) RC_ASSERT(back.tensor(t.name) == t);
  runtime::IntTensorMap in;
  for (const std::string& name : g.inputs) {
    const ir::Tensor& t = g.tensor(name);
    in[name] = {t.shape, codes(t.type, ir::num_elements(t.shape))};
  }
  const runtime::IntTensorMap reference = runtime::run_reference(g, in);
  RC_ASSERT(runtime::run_reference(back, in) == reference);
  // The ONNX ops themselves, evaluated by their spec in the carrier type.
  RC_ASSERT(testing::OnnxEvaluator(model).run(in) == reference);
}

}  // namespace
}  // namespace bitlab::onnx_io
