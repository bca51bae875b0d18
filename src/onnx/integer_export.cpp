#include "onnx/integer_export.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "ir/bounds.h"
#include "ir/error.h"
#include "ir/validate.h"
#include "onnx/annotations.h"

namespace bitlab::onnx_io {
namespace {

__extension__ using Int128 = __int128;  // -Wpedantic: a GCC/Clang extension, as in ir and quant

constexpr std::int64_t kFloat32Exact = std::int64_t{1} << 24;
constexpr std::int64_t kFloat64Exact = std::int64_t{1} << 53;

std::string_view carrier_name(Carrier c) { return c == Carrier::Float32 ? "float32" : "float64"; }

class IntegerExporter {
 public:
  IntegerExporter(const ir::Graph& graph, Carrier carrier, pb::ModelProto& model)
      : graph_(graph), carrier_(carrier), g_(*model.mutable_graph()) {}

  void run() {
    g_.set_name(graph_.name);
    for (const std::string& name : graph_.inputs) declare(*g_.add_input(), name);
    for (const std::string& name : graph_.outputs) declare(*g_.add_output(), name);
    for (const ir::Tensor& t : graph_.tensors) {
      if (t.int_data) {
        std::vector<double> values(t.int_data->begin(), t.int_data->end());
        add_float_initializer(g_, t.name, t.shape, values, carrier_);
      } else if (!is_graph_io(graph_, t.name)) {
        declare(*g_.add_value_info(), t.name);
      }
    }
    for (const ir::Node& n : graph_.nodes) emit(n);
  }

 private:
  void declare(pb::ValueInfoProto& v, const std::string& name) {
    set_tensor_type(v, name, data_type(carrier_), graph_.tensor(name).shape);
  }

  // The zero point(s) of `t` as a constant broadcasting onto t's values.
  template <class T>
  std::pair<ir::Shape, std::vector<T>> zero_points(const ir::Tensor& t) {
    const ir::Quantization& q = t.quant();
    std::vector<T> values;
    for (std::size_t c = 0; c < q.num_channels(); ++c) values.push_back(static_cast<T>(q.zero_point(c)));
    if (q.granularity == quant::Granularity::PerTensor) return {{}, {values.at(0)}};
    return {channel_shape(t.shape.size(), q.axis, static_cast<std::int64_t>(values.size())), values};
  }

  // x − z in the carrier.
  std::string centred(const ir::Node& n, const std::string& x, const std::string& suffix) {
    auto [shape, values] = zero_points<double>(graph_.tensor(x));
    const std::string z = n.name + "/z" + suffix;
    add_float_initializer(g_, z, shape, values, carrier_);
    const std::string out = n.name + "/" + suffix + "0";
    add_node(g_, "Sub", out, {x, z}, out);
    return out;
  }

  std::string int64_constant(const std::string& name, const ir::Shape& shape, std::vector<std::int64_t> values) {
    add_int64_initializer(g_, name, shape, values);
    return name;
  }

  std::string float_constant(const std::string& name, double value) {
    add_float_initializer(g_, name, {}, {value}, carrier_);
    return name;
  }

  // Conv / pool window attributes; pads are [begin_h, begin_w, end_h, end_w].
  static void window(pb::NodeProto& node, const ir::Pair& kernel, const ir::Pair& stride, const ir::Pair& padding) {
    set_ints(node, "kernel_shape", {kernel[0], kernel[1]});
    set_ints(node, "strides", {stride[0], stride[1]});
    set_ints(node, "pads", {padding[0], padding[1], padding[0], padding[1]});
  }

  void emit(const ir::Node& n) {
    switch (n.op) {
      case ir::OpKind::Conv2d: return emit_conv(n);
      case ir::OpKind::Linear: return emit_linear(n);
      case ir::OpKind::AvgPool: return emit_avgpool(n);
      case ir::OpKind::MaxPool: {
        const auto& a = n.attrs<ir::PoolAttrs>();
        window(add_node(g_, "MaxPool", n.name, {n.inputs.at(0)}, n.output()), a.kernel, a.stride, a.padding);
        return;
      }
      case ir::OpKind::Concat:
        set_int(add_node(g_, "Concat", n.name, n.inputs, n.output()), "axis", n.attrs<ir::ConcatAttrs>().axis);
        return;
      case ir::OpKind::Flatten:
        set_int(add_node(g_, "Flatten", n.name, n.inputs, n.output()), "axis", n.attrs<ir::FlattenAttrs>().axis);
        return;
      case ir::OpKind::Reshape: {
        const ir::Shape& shape = n.attrs<ir::ReshapeAttrs>().shape;
        const std::string s = int64_constant(n.name + "/shape", {static_cast<std::int64_t>(shape.size())}, shape);
        pb::NodeProto& node = add_node(g_, "Reshape", n.name, {n.inputs.at(0), s}, n.output());
        // ONNX reads a 0 in the target shape as "copy that dim" unless allowzero.
        if (std::ranges::find(shape, 0) != shape.end()) set_int(node, "allowzero", 1);
        return;
      }
      case ir::OpKind::Clip: {
        const auto& a = n.attrs<ir::ClipAttrs>();
        add_node(g_, "Clip", n.name,
                 {n.inputs.at(0), float_constant(n.name + "/lo", a.lo), float_constant(n.name + "/hi", a.hi)},
                 n.output());
        return;
      }
      case ir::OpKind::Requant: return emit_requant(n);
      case ir::OpKind::Add: return emit_add(n);
      default:
        throw ir::GraphError(fmt::format("node \"{}\": op {} cannot be exported to integer ONNX", n.name,
                                         ir::to_string(n.op)));
    }
  }

  void emit_conv(const ir::Node& n) {
    const auto& a = n.attrs<ir::Conv2dAttrs>();
    const ir::Tensor& w = graph_.tensor(n.inputs.at(1));
    std::vector<std::string> inputs{centred(n, n.inputs.at(0), "x"), centred(n, w.name, "w")};
    if (n.inputs.size() > 2) inputs.push_back(n.inputs[2]);
    pb::NodeProto& node = add_node(g_, "Conv", n.name, inputs, n.output());
    window(node, {w.shape.at(2), w.shape.at(3)}, a.stride, a.padding);
    set_ints(node, "dilations", {a.dilation[0], a.dilation[1]});
    set_int(node, "group", a.groups);
  }

  void emit_linear(const ir::Node& n) {
    std::vector<std::string> inputs{centred(n, n.inputs.at(0), "x"), centred(n, n.inputs.at(1), "w")};
    if (n.inputs.size() > 2) inputs.push_back(n.inputs[2]);
    set_int(add_node(g_, "Gemm", n.name, inputs, n.output()), "transB", 1);
  }

  // The exact window sum as a depthwise convolution with a kernel of ones;
  // padding holds real 0 because x − zx is taken first.
  void emit_avgpool(const ir::Node& n) {
    const auto& a = n.attrs<ir::PoolAttrs>();
    const std::int64_t channels = graph_.tensor(n.inputs.at(0)).shape.at(1);
    const std::string ones = n.name + "/ones";
    add_float_initializer(g_, ones, {channels, 1, a.kernel[0], a.kernel[1]},
                          std::vector<double>(static_cast<std::size_t>(channels * a.kernel[0] * a.kernel[1]), 1.0),
                          carrier_);
    pb::NodeProto& node = add_node(g_, "Conv", n.name, {centred(n, n.inputs.at(0), "x"), ones}, n.output());
    window(node, a.kernel, a.stride, a.padding);
    set_int(node, "group", channels);
  }

  // int64 (x − z) for the requant / add chains.
  std::string centred_int64(const ir::Node& n, const std::string& x, const std::string& suffix) {
    const std::string x64 = n.name + "/" + suffix + "_int64";
    set_int(add_node(g_, "Cast", x64, {x}, x64), "to", pb::TensorProto::INT64);
    auto [shape, values] = zero_points<std::int64_t>(graph_.tensor(x));
    const std::string z = int64_constant(n.name + "/z" + suffix, shape, values);
    const std::string out = n.name + "/" + suffix + "0";
    add_node(g_, "Sub", out, {x64, z}, out);
    return out;
  }

  // v → clamp(⌊(v + r) / 2^s⌋ + z_y, lo, hi) in the carrier: §9.2's arithmetic
  // shift written as exact int64 ops (Mod with fmod = 0 takes the divisor's
  // sign, so v − Mod(v, d) is a multiple of d and Div is exact).
  void emit_rounding_tail(const ir::Node& n, const std::string& v, const ir::Shape& shape,
                          const std::vector<int>& shifts, std::int32_t lo, std::int32_t hi) {
    std::vector<std::int64_t> half, divisor;
    for (const int s : shifts) {
      half.push_back(s == 0 ? 0 : std::int64_t{1} << (s - 1));
      divisor.push_back(std::int64_t{1} << s);
    }
    const std::string& name = n.name;
    const std::string r = int64_constant(name + "/half", shape, half);
    const std::string d = int64_constant(name + "/divisor", shape, divisor);
    add_node(g_, "Add", name + "/rounded", {v, r}, name + "/rounded");
    set_int(add_node(g_, "Mod", name + "/rem", {name + "/rounded", d}, name + "/rem"), "fmod", 0);
    add_node(g_, "Sub", name + "/multiple", {name + "/rounded", name + "/rem"}, name + "/multiple");
    add_node(g_, "Div", name + "/shifted", {name + "/multiple", d}, name + "/shifted");
    const std::int32_t zy = graph_.tensor(n.output()).quant().zero_point();
    add_node(g_, "Add", name + "/offset", {name + "/shifted", int64_constant(name + "/zy", {}, {zy})},
             name + "/offset");
    add_node(g_, "Clip", name + "/clamped",
             {name + "/offset", int64_constant(name + "/lo", {}, {lo}), int64_constant(name + "/hi", {}, {hi})},
             name + "/clamped");
    set_int(add_node(g_, "Cast", name, {name + "/clamped"}, n.output()), "to", data_type(carrier_));
  }

  void emit_requant(const ir::Node& n) {
    const auto& a = n.attrs<ir::RequantAttrs>();
    const ir::Tensor& x = graph_.tensor(n.inputs.at(0));
    const Int128 bound = input_bound(x);
    std::vector<std::int64_t> m;
    std::vector<int> shifts;
    for (const quant::DyadicMultiplier& d : a.multipliers) {
      const Int128 worst = bound * d.multiplier + (d.shift == 0 ? 0 : Int128{1} << (d.shift - 1));
      if (worst > std::numeric_limits<std::int64_t>::max()) {
        throw ir::GraphError(fmt::format(
            "node \"{}\": |x − z| · m + 2^(s−1) can reach about 2^{:.1f}, which overflows the int64 "
            "arithmetic of the ONNX export (integer-spec §9.2 needs it exact)",
            n.name, std::log2(static_cast<double>(worst))));
      }
      m.push_back(d.multiplier);
      shifts.push_back(d.shift);
    }
    const ir::Shape shape =
        m.size() == 1 ? ir::Shape{} : channel_shape(x.shape.size(), a.axis, static_cast<std::int64_t>(m.size()));
    const std::string xc = centred_int64(n, x.name, "x");
    add_node(g_, "Mul", n.name + "/product", {xc, int64_constant(n.name + "/m", shape, m)}, n.name + "/product");
    emit_rounding_tail(n, n.name + "/product", shape, shifts, a.lo, a.hi);
  }

  void emit_add(const ir::Node& n) {
    const ir::AddRequant& a = *n.attrs<ir::AddAttrs>().requant;
    std::vector<std::string> terms;
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      const std::string suffix = fmt::format("x{}", i);
      const std::string xc = centred_int64(n, n.inputs[i], suffix);
      const std::string term = n.name + "/term" + std::to_string(i);
      add_node(g_, "Mul", term, {xc, int64_constant(n.name + "/m" + std::to_string(i), {}, {a.multipliers.at(i)})},
               term);
      terms.push_back(term);
    }
    // A chain of Adds in input order: ONNX's Sum takes float types only.
    std::string sum = terms.at(0);
    for (std::size_t i = 1; i < terms.size(); ++i) {
      const std::string next = n.name + "/sum" + std::to_string(i);
      add_node(g_, "Add", next, {sum, terms[i]}, next);
      sum = next;
    }
    emit_rounding_tail(n, sum, {}, {a.shift}, a.lo, a.hi);
  }

  // The largest |x − z| a requant input can hold: a code range, or the bound
  // of the sum that produced the accumulator.
  Int128 input_bound(const ir::Tensor& x) const {
    if (x.type.is_code()) return ir::code_magnitude(x);
    for (const ir::Node& n : graph_.nodes) {
      if (n.output() != x.name) continue;
      if (n.op == ir::OpKind::Conv2d || n.op == ir::OpKind::Linear || n.op == ir::OpKind::AvgPool) {
        return ir::accumulator_bound(graph_, n);
      }
    }
    return Int128{1} << (x.type.bits - 1);  // anything the accumulator type holds
  }

  const ir::Graph& graph_;
  Carrier carrier_;
  pb::GraphProto& g_;
};

// The largest sum any conv2d / linear / avgpool can form (§14.1, §14.5), and its node.
std::pair<std::int64_t, const ir::Node*> largest_sum(const ir::Graph& graph) {
  std::pair<std::int64_t, const ir::Node*> out{0, nullptr};
  for (const ir::Node& n : graph.nodes) {
    if (n.op != ir::OpKind::Conv2d && n.op != ir::OpKind::Linear && n.op != ir::OpKind::AvgPool) continue;
    const std::int64_t b = ir::accumulator_bound(graph, n);
    if (b > out.first) out = {b, &n};
  }
  return out;
}

}  // namespace

pb::ModelProto export_integer(const ir::Graph& graph, const IntegerExportOptions& options) {
  ir::validate_integer_graph(graph);
  const auto [bound, node] = largest_sum(graph);
  const Carrier carrier = options.carrier.value_or(bound < kFloat32Exact ? Carrier::Float32 : Carrier::Float64);
  const std::int64_t limit = carrier == Carrier::Float32 ? kFloat32Exact : kFloat64Exact;
  if (bound >= limit) {
    throw ir::GraphError(fmt::format(
        "graph \"{}\": node \"{}\" can sum to {} (accumulator bound), which {} does not hold exactly (limit 2^{}); "
        "{}",
        graph.name, node->name, bound, carrier_name(carrier), carrier == Carrier::Float32 ? 24 : 53,
        carrier == Carrier::Float32 ? "export with the float64 carrier" : "the integer ONNX export cannot run it"));
  }
  pb::ModelProto model;
  model.set_ir_version(pb::IR_VERSION);
  model.set_producer_name("bitlab");
  model.set_domain("org.bitlab");
  model.set_model_version(1);
  model.set_doc_string(
      "bitlab integer graph: every tensor holds integers (codes, accumulators) in float tensors; "
      "metadata_props \"bitlab.tensor:<name>\" give each tensor's bits, sign and scales. docs/formats.md.");
  pb::OperatorSetIdProto& opset = *model.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOnnxOpset);
  const auto meta = [&](const std::string& key, const std::string& value) {
    pb::StringStringEntryProto& e = *model.add_metadata_props();
    e.set_key(key);
    e.set_value(value);
  };
  meta("bitlab.format", std::string(kIntegerFormat));
  meta("bitlab.version", std::to_string(kIntegerFormatVersion));
  meta("bitlab.carrier", std::string(carrier_name(carrier)));
  for (const ir::Tensor& t : graph.tensors) meta(std::string(kTensorKeyPrefix) + t.name, annotation_of(t));
  IntegerExporter(graph, carrier, model).run();
  return model;
}

}  // namespace bitlab::onnx_io
