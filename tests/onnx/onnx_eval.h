#pragma once
// A tiny evaluator of the ONNX ops the exports use (and QONNX's Quant), written
// from the ONNX operator specs (numpy broadcasting; Mod with fmod = 0 takes the
// divisor's sign; integer Div truncates; MaxPool skips padding). Float32
// tensors compute in float, so it shows that the float32 carrier is exact, and
// not only that the import is faithful. Test-only: slow and simple.
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "onnx/proto.h"
#include "runtime/fake_quant.h"  // RealTensorMap
#include "runtime/tensor.h"

namespace bitlab::onnx_io::testing {

struct Value {
  ir::Shape shape;
  std::variant<std::vector<float>, std::vector<double>, std::vector<std::int64_t>> data;
};

class OnnxEvaluator {
 public:
  explicit OnnxEvaluator(const pb::ModelProto& model) : model_(model) {}

  // A float model (QONNX) evaluated in float64: float32 initializers are
  // widened exactly, so only the model's float32 constants limit precision.
  runtime::RealTensorMap run_real(const runtime::RealTensorMap& inputs) {
    values_.clear();
    for (const pb::TensorProto& t : model_.graph().initializer()) {
      if (t.data_type() == pb::TensorProto::INT64) {
        values_[t.name()] = {dims_of(t), int64_values(t)};
      } else {
        values_[t.name()] = {dims_of(t), float_values(t)};
      }
    }
    for (const auto& [name, x] : inputs) values_[name] = {x.shape, x.values};
    for (const pb::NodeProto& n : model_.graph().node()) values_[n.output(0)] = eval(n);
    runtime::RealTensorMap out;
    for (const pb::ValueInfoProto& o : model_.graph().output()) {
      const Value& v = values_.at(o.name());
      out[o.name()] = {v.shape, std::get<std::vector<double>>(v.data)};
    }
    return out;
  }

  // Inputs and outputs as integer codes, converted to and from the model's carrier.
  runtime::IntTensorMap run(const runtime::IntTensorMap& inputs) {
    values_.clear();
    for (const pb::TensorProto& t : model_.graph().initializer()) {
      const ir::Shape dims = dims_of(t);
      if (t.data_type() == pb::TensorProto::INT64) {
        values_[t.name()] = {dims, int64_values(t)};
      } else if (t.data_type() == pb::TensorProto::FLOAT) {
        const auto v = float_values(t);
        values_[t.name()] = {dims, std::vector<float>(v.begin(), v.end())};
      } else {
        values_[t.name()] = {dims, float_values(t)};
      }
    }
    for (const pb::ValueInfoProto& in : model_.graph().input()) {
      const runtime::IntTensor& x = inputs.at(in.name());
      const bool f32 = in.type().tensor_type().elem_type() == pb::TensorProto::FLOAT;
      if (f32) {
        values_[in.name()] = {x.shape, std::vector<float>(x.values.begin(), x.values.end())};
      } else {
        values_[in.name()] = {x.shape, std::vector<double>(x.values.begin(), x.values.end())};
      }
    }
    for (const pb::NodeProto& n : model_.graph().node()) values_[n.output(0)] = eval(n);
    runtime::IntTensorMap out;
    for (const pb::ValueInfoProto& o : model_.graph().output()) {
      const Value& v = values_.at(o.name());
      runtime::IntTensor t{v.shape, {}};
      std::visit([&](const auto& d) {
        for (const auto x : d) {
          if (static_cast<double>(x) != std::floor(static_cast<double>(x))) throw std::runtime_error("non-integer output");
          t.values.push_back(static_cast<std::int64_t>(x));
        }
      }, v.data);
      out[o.name()] = std::move(t);
    }
    return out;
  }

 private:
  static std::vector<std::int64_t> strides(const ir::Shape& s) {
    std::vector<std::int64_t> st(s.size(), 1);
    for (std::size_t d = s.size(); d-- > 1;) st[d - 1] = st[d] * s[d];
    return st;
  }

  template <class T, class F>
  static Value broadcast(const Value& a, const Value& b, F f) {
    const auto& x = std::get<std::vector<T>>(a.data);
    const auto& y = std::get<std::vector<T>>(b.data);
    const std::size_t rank = std::max(a.shape.size(), b.shape.size());
    ir::Shape out(rank), sa(rank, 1), sb(rank, 1);
    std::copy(a.shape.begin(), a.shape.end(), sa.begin() + static_cast<std::ptrdiff_t>(rank - a.shape.size()));
    std::copy(b.shape.begin(), b.shape.end(), sb.begin() + static_cast<std::ptrdiff_t>(rank - b.shape.size()));
    for (std::size_t d = 0; d < rank; ++d) {
      if (sa[d] != sb[d] && sa[d] != 1 && sb[d] != 1) throw std::runtime_error("shapes do not broadcast");
      out[d] = std::max(sa[d], sb[d]);
    }
    const auto so = strides(out), ta = strides(sa), tb = strides(sb);
    std::vector<T> r(static_cast<std::size_t>(ir::num_elements(out)));
    for (std::size_t i = 0; i < r.size(); ++i) {
      std::int64_t ia = 0, ib = 0, rest = static_cast<std::int64_t>(i);
      for (std::size_t d = 0; d < rank; ++d) {
        const std::int64_t k = rest / so[d];
        rest %= so[d];
        ia += (sa[d] == 1 ? 0 : k) * ta[d];
        ib += (sb[d] == 1 ? 0 : k) * tb[d];
      }
      r[i] = f(x[static_cast<std::size_t>(ia)], y[static_cast<std::size_t>(ib)]);
    }
    return {out, r};
  }

  template <class F>
  static Value binary(const Value& a, const Value& b, F f) {
    if (std::holds_alternative<std::vector<float>>(a.data)) return broadcast<float>(a, b, f);
    if (std::holds_alternative<std::vector<double>>(a.data)) return broadcast<double>(a, b, f);
    return broadcast<std::int64_t>(a, b, f);
  }

  template <class T>
  static Value conv(const pb::NodeProto& n, const Value& xv, const Value& wv, const Value* bv) {
    const auto& x = std::get<std::vector<T>>(xv.data);
    const auto& w = std::get<std::vector<T>>(wv.data);
    const auto s = ints_attribute(n, "strides"), p = ints_attribute(n, "pads"), dl = ints_attribute(n, "dilations");
    const std::int64_t group = int_attribute(n, "group").value_or(1);
    const std::int64_t N = xv.shape[0], C = xv.shape[1], H = xv.shape[2], W = xv.shape[3];
    const std::int64_t O = wv.shape[0], CG = wv.shape[1], KH = wv.shape[2], KW = wv.shape[3];
    const std::int64_t dh = dl.empty() ? 1 : dl[0], dw = dl.empty() ? 1 : dl[1];
    const std::int64_t OH = (H + 2 * p[0] - dh * (KH - 1) - 1) / s[0] + 1, OW = (W + 2 * p[1] - dw * (KW - 1) - 1) / s[1] + 1;
    std::vector<T> y(static_cast<std::size_t>(N * O * OH * OW));
    for (std::int64_t b = 0; b < N; ++b)
      for (std::int64_t o = 0; o < O; ++o)
        for (std::int64_t oy = 0; oy < OH; ++oy)
          for (std::int64_t ox = 0; ox < OW; ++ox) {
            T acc = 0;
            const std::int64_t g = o / (O / group);
            for (std::int64_t ci = 0; ci < CG; ++ci)
              for (std::int64_t ky = 0; ky < KH; ++ky)
                for (std::int64_t kx = 0; kx < KW; ++kx) {
                  const std::int64_t iy = oy * s[0] - p[0] + ky * dh, ix = ox * s[1] - p[1] + kx * dw;
                  if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                  acc += x[static_cast<std::size_t>(((b * C + g * CG + ci) * H + iy) * W + ix)] *
                         w[static_cast<std::size_t>(((o * CG + ci) * KH + ky) * KW + kx)];
                }
            if (bv) acc += std::get<std::vector<T>>(bv->data)[static_cast<std::size_t>(o)];
            y[static_cast<std::size_t>(((b * O + o) * OH + oy) * OW + ox)] = acc;
          }
    return {{N, O, OH, OW}, y};
  }

  template <class T>
  static Value gemm(const Value& av, const Value& bv, const Value* cv) {
    const auto& a = std::get<std::vector<T>>(av.data);
    const auto& b = std::get<std::vector<T>>(bv.data);
    const std::int64_t N = av.shape[0], K = av.shape[1], O = bv.shape[0];
    std::vector<T> y(static_cast<std::size_t>(N * O));
    for (std::int64_t r = 0; r < N; ++r)
      for (std::int64_t o = 0; o < O; ++o) {
        T acc = 0;
        for (std::int64_t k = 0; k < K; ++k) acc += a[static_cast<std::size_t>(r * K + k)] * b[static_cast<std::size_t>(o * K + k)];
        if (cv) acc += std::get<std::vector<T>>(cv->data)[static_cast<std::size_t>(o)];
        y[static_cast<std::size_t>(r * O + o)] = acc;
      }
    return {{N, O}, y};
  }

  template <class T>
  static Value maxpool(const pb::NodeProto& n, const Value& xv) {
    const auto& x = std::get<std::vector<T>>(xv.data);
    const auto k = ints_attribute(n, "kernel_shape"), s = ints_attribute(n, "strides"), p = ints_attribute(n, "pads");
    const std::int64_t N = xv.shape[0], C = xv.shape[1], H = xv.shape[2], W = xv.shape[3];
    const std::int64_t OH = (H + 2 * p[0] - k[0]) / s[0] + 1, OW = (W + 2 * p[1] - k[1]) / s[1] + 1;
    std::vector<T> y;
    for (std::int64_t b = 0; b < N * C; ++b)
      for (std::int64_t oy = 0; oy < OH; ++oy)
        for (std::int64_t ox = 0; ox < OW; ++ox) {
          T best = -INFINITY;
          for (std::int64_t ky = 0; ky < k[0]; ++ky)
            for (std::int64_t kx = 0; kx < k[1]; ++kx) {
              const std::int64_t iy = oy * s[0] - p[0] + ky, ix = ox * s[1] - p[1] + kx;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W) best = std::max(best, x[static_cast<std::size_t>((b * H + iy) * W + ix)]);
            }
          y.push_back(best);
        }
    return {{N, C, OH, OW}, y};
  }

  static Value concat(const std::vector<const Value*>& in, std::int64_t axis) {
    ir::Shape out = in[0]->shape;
    out[static_cast<std::size_t>(axis)] = 0;
    for (const Value* v : in) out[static_cast<std::size_t>(axis)] += v->shape[static_cast<std::size_t>(axis)];
    std::int64_t outer = 1;
    for (std::int64_t d = 0; d < axis; ++d) outer *= out[static_cast<std::size_t>(d)];
    Value r{out, in[0]->data};
    std::visit([&](auto& dst) {
      using V = std::decay_t<decltype(dst)>;
      dst.clear();
      for (std::int64_t o = 0; o < outer; ++o)
        for (const Value* v : in) {
          const auto& src = std::get<V>(v->data);
          const std::size_t block = src.size() / static_cast<std::size_t>(outer);
          dst.insert(dst.end(), src.begin() + static_cast<std::ptrdiff_t>(o * block), src.begin() + static_cast<std::ptrdiff_t>((o + 1) * block));
        }
    }, r.data);
    return r;
  }

  const Value& in(const pb::NodeProto& n, int i) const { return values_.at(n.input(i)); }

  // QONNX Quant, after quant_op.md's sample implementation: x / scale + zeropt,
  // clamp to [min_int, max_int], round, then (q − zeropt) · scale.
  Value quant(const pb::NodeProto& n) const {
    const int bits = static_cast<int>(std::get<std::vector<double>>(in(n, 3).data).at(0));
    const bool is_signed = int_attribute(n, "signed").value_or(1) == 1;
    const bool narrow = int_attribute(n, "narrow").value_or(0) == 1;
    const auto* mode_attr = find_attribute(n, "rounding_mode");
    const std::string mode = mode_attr ? mode_attr->s() : "ROUND";
    const double lo = is_signed ? -std::ldexp(1.0, bits - 1) + (narrow ? 1 : 0) : 0.0;
    const double hi = is_signed ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - (narrow ? 2 : 1);
    const auto round = [&](double y) {
      if (mode == "ROUND") return std::nearbyint(y);
      if (mode == "HALF_UP") return std::round(y);
      if (mode == "FLOOR") return std::floor(y);
      throw std::runtime_error("rounding_mode " + mode + " not modelled");
    };
    const Value scaled = binary(in(n, 0), in(n, 1), [](auto a, auto b) { return a / b; });
    const Value shifted = binary(scaled, in(n, 2), [](auto a, auto b) { return a + b; });
    Value q = shifted;
    for (double& v : std::get<std::vector<double>>(q.data)) v = round(std::clamp(v, lo, hi));
    const Value centred = binary(q, in(n, 2), [](auto a, auto b) { return a - b; });
    return binary(centred, in(n, 1), [](auto a, auto b) { return a * b; });
  }

  Value eval(const pb::NodeProto& n) {
    const std::string& op = n.op_type();
    if (op == "Sub") return binary(in(n, 0), in(n, 1), [](auto a, auto b) { return a - b; });
    if (op == "Add") return binary(in(n, 0), in(n, 1), [](auto a, auto b) { return a + b; });
    if (op == "Mul") return binary(in(n, 0), in(n, 1), [](auto a, auto b) { return a * b; });
    if (op == "Div") return binary(in(n, 0), in(n, 1), [](auto a, auto b) { return a / b; });  // int64: truncates
    if (op == "Mod") {
      if (int_attribute(n, "fmod").value_or(0) != 0) throw std::runtime_error("fmod = 1 not modelled");
      return broadcast<std::int64_t>(in(n, 0), in(n, 1), [](std::int64_t a, std::int64_t b) {
        std::int64_t r = a % b;
        if (r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
      });
    }
    if (op == "Clip") {
      const Value lo = in(n, 1), hi = in(n, 2);
      const Value t = binary(in(n, 0), lo, [](auto a, auto b) { return a < b ? b : a; });
      return binary(t, hi, [](auto a, auto b) { return a > b ? b : a; });
    }
    if (op == "Cast") {
      const auto to = int_attribute(n, "to").value_or(0);
      const Value& x = in(n, 0);
      Value r{x.shape, {}};
      std::visit([&](const auto& d) {
        if (to == pb::TensorProto::INT64) {
          std::vector<std::int64_t> v;
          for (const auto e : d) v.push_back(static_cast<std::int64_t>(e));
          r.data = v;
        } else if (to == pb::TensorProto::FLOAT) {
          r.data = std::vector<float>(d.begin(), d.end());
        } else {
          r.data = std::vector<double>(d.begin(), d.end());
        }
      }, x.data);
      return r;
    }
    const Value* third = n.input_size() > 2 ? &in(n, 2) : nullptr;
    const bool f32 = std::holds_alternative<std::vector<float>>(in(n, 0).data);
    if (op == "Conv") return f32 ? conv<float>(n, in(n, 0), in(n, 1), third) : conv<double>(n, in(n, 0), in(n, 1), third);
    if (op == "Gemm") return f32 ? gemm<float>(in(n, 0), in(n, 1), third) : gemm<double>(in(n, 0), in(n, 1), third);
    if (op == "MaxPool") return f32 ? maxpool<float>(n, in(n, 0)) : maxpool<double>(n, in(n, 0));
    if (op == "Concat") {
      std::vector<const Value*> xs;
      for (int i = 0; i < n.input_size(); ++i) xs.push_back(&in(n, i));
      const auto axis = int_attribute(n, "axis").value_or(0);
      return concat(xs, axis < 0 ? axis + static_cast<std::int64_t>(xs[0]->shape.size()) : axis);
    }
    if (op == "Flatten" || op == "Reshape") {
      Value r = in(n, 0);
      const std::int64_t total = ir::num_elements(r.shape);
      if (op == "Flatten") {
        const auto axis = int_attribute(n, "axis").value_or(1);
        std::int64_t outer = 1;
        for (std::int64_t d = 0; d < axis; ++d) outer *= r.shape[static_cast<std::size_t>(d)];
        r.shape = {outer, total / outer};
      } else {
        ir::Shape s = std::get<std::vector<std::int64_t>>(in(n, 1).data);
        std::int64_t known = 1;
        for (const auto d : s) known *= d < 0 ? 1 : d;
        for (auto& d : s) d = d < 0 ? total / known : d;
        r.shape = s;
      }
      return r;
    }
    if (op == "Quant") return quant(n);
    if (op == "Relu") {
      Value r = in(n, 0);
      for (double& v : std::get<std::vector<double>>(r.data)) v = std::max(v, 0.0);
      return r;
    }
    if (op == "BatchNormalization") {
      Value r = in(n, 0);
      auto& x = std::get<std::vector<double>>(r.data);
      const auto& gamma = std::get<std::vector<double>>(in(n, 1).data);
      const auto& beta = std::get<std::vector<double>>(in(n, 2).data);
      const auto& mean = std::get<std::vector<double>>(in(n, 3).data);
      const auto& var = std::get<std::vector<double>>(in(n, 4).data);
      const double eps = find_attribute(n, "epsilon") ? find_attribute(n, "epsilon")->f() : 1e-5;
      const std::int64_t C = r.shape[1];
      const std::int64_t inner = ir::num_elements(r.shape) / (r.shape[0] * C);
      for (std::size_t i = 0; i < x.size(); ++i) {
        const auto c = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % C);
        x[i] = (x[i] - mean[c]) / std::sqrt(var[c] + eps) * gamma[c] + beta[c];
      }
      return r;
    }
    if (op == "AveragePool") {
      if (int_attribute(n, "count_include_pad").value_or(0) != 1) throw std::runtime_error("count_include_pad = 0");
      const auto k = ints_attribute(n, "kernel_shape");
      pb::NodeProto as_conv = n;  // a window sum: a depthwise conv with ones, then / (kh·kw)
      const Value& x = in(n, 0);
      const std::int64_t C = x.shape[1];
      set_int(as_conv, "group", C);
      const Value ones{{C, 1, k[0], k[1]}, std::vector<double>(static_cast<std::size_t>(C * k[0] * k[1]), 1.0)};
      Value r = conv<double>(as_conv, x, ones, nullptr);
      for (double& v : std::get<std::vector<double>>(r.data)) v /= static_cast<double>(k[0] * k[1]);
      return r;
    }
    if (op == "Sum") {
      Value r = in(n, 0);
      for (int i = 1; i < n.input_size(); ++i) r = binary(r, in(n, i), [](auto a, auto b) { return a + b; });
      return r;
    }
    throw std::runtime_error("evaluator: op " + op + " not modelled");
  }

  const pb::ModelProto& model_;
  std::map<std::string, Value> values_;
};

}  // namespace bitlab::onnx_io::testing
