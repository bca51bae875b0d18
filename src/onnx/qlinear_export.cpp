#include "onnx/qlinear_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/error.h"
#include "ir/validate.h"

namespace bitlab::onnx_io {
namespace {

class QLinearWriter {
 public:
  explicit QLinearWriter(const ir::Graph& graph) : graph_(graph) {
    for (const ir::Node& n : graph_.nodes) {
      for (const std::string& in : n.inputs) readers_[in].push_back(&n);
    }
  }

  pb::ModelProto write() {
    pb::ModelProto model;
    model.set_ir_version(pb::IR_VERSION);
    model.set_producer_name("bitlab");
    model.set_model_version(1);
    model.set_doc_string("bitlab integer graph as ONNX Runtime QLinear ops: a speed peer, not bit-exact "
                         "(docs/benchmarks.md, onnx/qlinear_export.h)");
    pb::OperatorSetIdProto& opset = *model.add_opset_import();
    opset.set_domain("");
    opset.set_version(kQLinearOpset);
    pb::OperatorSetIdProto& ms = *model.add_opset_import();
    ms.set_domain("com.microsoft");
    ms.set_version(1);
    pb::GraphProto& g = *model.mutable_graph();
    g_ = &g;
    g.set_name(graph_.name.empty() ? "bitlab" : graph_.name);
    for (const std::string& name : graph_.inputs) declare(*g.add_input(), name);
    for (const ir::Node& node : graph_.nodes) emit(node);
    for (const std::string& name : graph_.outputs) declare(*g.add_output(), name);
    return model;
  }

 private:
  const ir::Tensor& code_tensor(const std::string& name, const ir::Node& node) const {
    const ir::Tensor& t = graph_.tensor(name);
    if (t.type.bits > 8 && !is_output(name)) {
      throw ir::GraphError(fmt::format("qlinear export: node \"{}\": tensor \"{}\" has {}-bit codes; only 8-bit and "
                                       "narrower activations map to ORT's uint8 ops",
                                       node.name, name, t.type.bits));
    }
    return t;
  }
  bool is_output(const std::string& name) const {
    return std::find(graph_.outputs.begin(), graph_.outputs.end(), name) != graph_.outputs.end();
  }
  // A graph output wider than 8 bits (a 16-bit classifier head, say) is
  // written as 8 bits on a coarser grid: ORT's QLinear ops have no wider
  // output, and a speed peer needs the same work, not the same codes.
  static int extra_bits(const ir::Tensor& t) { return std::max(0, t.type.bits - 8); }
  // uint8 zero point of a code tensor: signed codes are shifted by +128.
  static std::int64_t u8_zero_point(const ir::Tensor& t) {
    const std::int64_t z = t.quant().zero_point() >> extra_bits(t);
    return z + (t.type.is_signed ? 128 : 0);
  }

  void declare(pb::ValueInfoProto& v, const std::string& name) const {
    set_tensor_type(v, name, pb::TensorProto_DataType_UINT8, graph_.tensor(name).shape);
  }

  std::string initializer(const std::string& name, pb::TensorProto_DataType type, const ir::Shape& dims,
                          const std::vector<std::int64_t>& values) {
    pb::TensorProto& t = *g_->add_initializer();
    t.set_name(name);
    t.set_data_type(type);
    for (const std::int64_t d : dims) t.add_dims(d);
    // ONNX stores int8 / uint8 / int32 values in int32_data.
    for (const std::int64_t v : values) t.add_int32_data(static_cast<std::int32_t>(v));
    return name;
  }
  std::string scale(const std::string& name, const std::vector<double>& values) {
    const ir::Shape dims = values.size() == 1 ? ir::Shape{} : ir::Shape{static_cast<std::int64_t>(values.size())};
    add_float_initializer(*g_, name, dims, values, Carrier::Float32);
    return name;
  }
  // (scale, zero point) initializers of a code tensor.
  std::pair<std::string, std::string> qparams(const ir::Tensor& t) {
    if (!with_qparams_.insert(t.name).second) return {t.name + "_scale", t.name + "_zp"};  // a tensor read twice
    return {scale(t.name + "_scale", {std::ldexp(t.quant().scale(), extra_bits(t))}),
            initializer(t.name + "_zp", pb::TensorProto_DataType_UINT8, {}, {u8_zero_point(t)})};
  }

  const ir::Node& sole_requant(const ir::Node& node) const {
    const auto it = readers_.find(node.outputs[0]);
    if (it == readers_.end() || it->second.size() != 1 || it->second[0]->op != ir::OpKind::Requant) {
      throw ir::GraphError(fmt::format("qlinear export: node \"{}\" ({}) is not read by exactly one requant; ORT's "
                                       "QLinear ops fuse the requant into the producer",
                                       node.name, ir::to_string(node.op)));
    }
    return *it->second[0];
  }

  void emit(const ir::Node& node) {
    if (fused_.contains(node.name)) return;
    switch (node.op) {
      case ir::OpKind::Conv2d:
      case ir::OpKind::Linear: return emit_conv(node);
      case ir::OpKind::AvgPool: return emit_avgpool(node);
      case ir::OpKind::Requant: return emit_requant(node.inputs[0], node.outputs[0], node.name);
      case ir::OpKind::Add: return emit_add(node);
      case ir::OpKind::MaxPool: {
        const auto& a = node.attrs<ir::PoolAttrs>();
        pb::NodeProto& n = add_node(*g_, "MaxPool", node.name, {node.inputs[0]}, node.outputs[0]);
        set_ints(n, "kernel_shape", {a.kernel[0], a.kernel[1]});
        set_ints(n, "strides", {a.stride[0], a.stride[1]});
        set_ints(n, "pads", {a.padding[0], a.padding[1], a.padding[0], a.padding[1]});
        return;
      }
      case ir::OpKind::Flatten:
      case ir::OpKind::Reshape: {
        const ir::Shape& out = graph_.tensor(node.outputs[0]).shape;
        add_int64_initializer(*g_, node.name + "_shape", {static_cast<std::int64_t>(out.size())}, out);
        add_node(*g_, "Reshape", node.name, {node.inputs[0], node.name + "_shape"}, node.outputs[0]);
        return;
      }
      case ir::OpKind::Concat: {
        pb::NodeProto& n = add_node(*g_, "Concat", node.name, node.inputs, node.outputs[0]);
        set_int(n, "axis", node.attrs<ir::ConcatAttrs>().axis);
        return;
      }
      case ir::OpKind::Clip: {
        const ir::Tensor& t = code_tensor(node.outputs[0], node);
        const std::int64_t shift = t.type.is_signed ? 128 : 0;
        const auto& a = node.attrs<ir::ClipAttrs>();
        add_node(*g_, "Clip", node.name,
                 {node.inputs[0], initializer(node.name + "_lo", pb::TensorProto_DataType_UINT8, {}, {a.lo + shift}),
                  initializer(node.name + "_hi", pb::TensorProto_DataType_UINT8, {}, {a.hi + shift})},
                 node.outputs[0]);
        return;
      }
      default:
        throw ir::GraphError(fmt::format("qlinear export: node \"{}\": op {} has no QLinear mapping", node.name,
                                         ir::to_string(node.op)));
    }
  }

  // conv2d / linear + its requant → one QLinearConv (linear as a 1×1 conv
  // between two reshapes, which keeps per-channel weight scales and the bias).
  void emit_conv(const ir::Node& node) {
    const ir::Node& rq = sole_requant(node);
    fused_.insert(rq.name);
    const ir::Tensor& x = code_tensor(node.inputs[0], node);
    const ir::Tensor& w = graph_.tensor(node.inputs[1]);
    const ir::Tensor& y = code_tensor(rq.outputs[0], rq);
    if (!w.int_data || w.type.bits > 8 || !w.quant().all_zero_points_zero()) {
      throw ir::GraphError(fmt::format("qlinear export: node \"{}\": weights \"{}\" must be a constant of at most 8 "
                                       "bits with zero points 0",
                                       node.name, w.name));
    }
    const bool linear = node.op == ir::OpKind::Linear;
    ir::Shape wdims = w.shape;
    if (linear) wdims.insert(wdims.end(), {1, 1});
    const std::int64_t out_channels = wdims[0];
    std::vector<double> wscales = w.quant().scales;
    initializer(w.name, pb::TensorProto_DataType_INT8, wdims, *w.int_data);
    std::vector<std::string> inputs;
    std::string xin = x.name;
    if (linear) {
      xin = node.name + "_x4";
      ir::Shape s = x.shape;
      s.insert(s.end(), {1, 1});
      add_int64_initializer(*g_, xin + "_shape", {4}, s);
      add_node(*g_, "Reshape", xin, {x.name, xin + "_shape"}, xin);
    }
    const auto [xs, xz] = qparams(x);
    const auto [ys, yz] = qparams(y);
    inputs = {xin, xs, xz, w.name, scale(w.name + "_scale", wscales),
              initializer(w.name + "_zp", pb::TensorProto_DataType_INT8,
                          wscales.size() == 1 ? ir::Shape{} : ir::Shape{out_channels},
                          std::vector<std::int64_t>(wscales.size(), 0)),
              ys, yz};
    if (node.inputs.size() > 2) {
      const ir::Tensor& b = graph_.tensor(node.inputs[2]);
      initializer(b.name, pb::TensorProto_DataType_INT32, b.shape, *b.int_data);
      inputs.push_back(b.name);
    }
    const std::string out = linear ? node.name + "_y4" : y.name;
    pb::NodeProto& n = add_node(*g_, "QLinearConv", node.name, inputs, out);
    if (!linear) {
      const auto& a = node.attrs<ir::Conv2dAttrs>();
      set_ints(n, "kernel_shape", {w.shape[2], w.shape[3]});
      set_ints(n, "strides", {a.stride[0], a.stride[1]});
      set_ints(n, "pads", {a.padding[0], a.padding[1], a.padding[0], a.padding[1]});
      set_ints(n, "dilations", {a.dilation[0], a.dilation[1]});
      set_int(n, "group", a.groups);
    } else {
      add_int64_initializer(*g_, out + "_shape", {2}, y.shape);
      add_node(*g_, "Reshape", out, {out, out + "_shape"}, y.name);
    }
  }

  // Window sum + requant → DequantizeLinear, AveragePool, QuantizeLinear.
  void emit_avgpool(const ir::Node& node) {
    const ir::Node& rq = sole_requant(node);
    fused_.insert(rq.name);
    const ir::Tensor& x = code_tensor(node.inputs[0], node);
    const ir::Tensor& y = code_tensor(rq.outputs[0], rq);
    const auto& a = node.attrs<ir::PoolAttrs>();
    const auto [xs, xz] = qparams(x);
    const auto [ys, yz] = qparams(y);
    add_node(*g_, "DequantizeLinear", node.name + "_dq", {x.name, xs, xz}, node.name + "_f");
    pb::NodeProto& n = add_node(*g_, "AveragePool", node.name, {node.name + "_f"}, node.name + "_avg");
    set_ints(n, "kernel_shape", {a.kernel[0], a.kernel[1]});
    set_ints(n, "strides", {a.stride[0], a.stride[1]});
    set_ints(n, "pads", {a.padding[0], a.padding[1], a.padding[0], a.padding[1]});
    set_int(n, "count_include_pad", 1);
    add_node(*g_, "QuantizeLinear", node.name + "_q", {node.name + "_avg", ys, yz}, y.name);
  }

  void emit_requant(const std::string& in, const std::string& out, const std::string& name) {
    const ir::Node& dummy = graph_.nodes.front();
    const ir::Tensor& x = code_tensor(in, dummy);
    const ir::Tensor& y = code_tensor(out, dummy);
    const auto [xs, xz] = qparams(x);
    const auto [ys, yz] = qparams(y);
    add_node(*g_, "DequantizeLinear", name + "_dq", {x.name, xs, xz}, name + "_f");
    add_node(*g_, "QuantizeLinear", name, {name + "_f", ys, yz}, y.name);
  }

  void emit_add(const ir::Node& node) {
    if (node.inputs.size() != 2) {
      throw ir::GraphError(fmt::format("qlinear export: node \"{}\": add of {} inputs; QLinearAdd takes two",
                                       node.name, node.inputs.size()));
    }
    const ir::Tensor& a = code_tensor(node.inputs[0], node);
    const ir::Tensor& b = code_tensor(node.inputs[1], node);
    const ir::Tensor& y = code_tensor(node.outputs[0], node);
    const auto [as, az] = qparams(a);
    const auto [bs, bz] = qparams(b);
    const auto [ys, yz] = qparams(y);
    add_node(*g_, "QLinearAdd", node.name, {a.name, as, az, b.name, bs, bz, ys, yz}, y.name, "com.microsoft");
  }

  const ir::Graph& graph_;
  pb::GraphProto* g_ = nullptr;
  std::map<std::string, std::vector<const ir::Node*>> readers_;
  std::set<std::string> fused_;
  std::set<std::string> with_qparams_;
};

}  // namespace

pb::ModelProto export_qlinear(const ir::Graph& graph) {
  ir::validate_integer_graph(graph);
  return QLinearWriter(graph).write();
}

}  // namespace bitlab::onnx_io
