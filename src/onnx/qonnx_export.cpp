#include "onnx/qonnx_export.h"

#include <algorithm>

#include <fmt/format.h>

#include "ir/error.h"
#include "ir/validate.h"
#include "onnx/model_io.h"

namespace bitlab::onnx_io {
namespace {

// QONNX rounding_mode names (quant_op.md): ROUND is numpy.round, i.e. half to
// even; HALF_UP rounds halves away from zero (2.5 → 3, −2.5 → −3).
std::string rounding_mode(quant::RoundingMode mode, const std::string& node) {
  switch (mode) {
    case quant::RoundingMode::HalfToEven: return "ROUND";
    case quant::RoundingMode::HalfAwayFromZero: return "HALF_UP";
    case quant::RoundingMode::Floor: return "FLOOR";
    case quant::RoundingMode::Stochastic: break;
  }
  throw ir::GraphError(fmt::format("node \"{}\": stochastic rounding has no QONNX Quant rounding_mode", node));
}

class QonnxExporter {
 public:
  QonnxExporter(const ir::Graph& graph, pb::GraphProto& g) : graph_(graph), g_(g) {}

  void run() {
    g_.set_name(graph_.name);
    for (const std::string& name : graph_.inputs) declare(*g_.add_input(), name);
    for (const std::string& name : graph_.outputs) declare(*g_.add_output(), name);
    for (const ir::Tensor& t : graph_.tensors) {
      if (t.float_data) {
        add_float_initializer(g_, t.name, t.shape, {t.float_data->begin(), t.float_data->end()}, Carrier::Float32);
      } else if (!is_graph_io(graph_, t.name)) {
        declare(*g_.add_value_info(), t.name);
      }
    }
    for (const ir::Node& n : graph_.nodes) emit(n);
  }

 private:
  void declare(pb::ValueInfoProto& v, const std::string& name) {
    set_tensor_type(v, name, pb::TensorProto::FLOAT, graph_.tensor(name).shape);
  }

  // Quant(x, scale, zeropt, bitwidth) → out; per-channel scale and zero point
  // broadcast along the spec's axis.
  void quant(const std::string& name, const std::string& x, const quant::QuantSpec& spec,
             quant::RoundingMode rounding, const std::string& out) {
    const std::string mode = rounding_mode(rounding, name);
    const std::size_t rank = graph_.tensor(x).shape.size();
    const ir::Shape shape = spec.granularity == quant::Granularity::PerTensor
                                ? ir::Shape{}
                                : channel_shape(rank, spec.axis, static_cast<std::int64_t>(spec.scales.size()));
    std::vector<double> zero_points;
    for (std::size_t c = 0; c < spec.scales.size(); ++c) zero_points.push_back(spec.zero_point(c));
    add_float_initializer(g_, name + "/scale", shape, spec.scales, Carrier::Float32);
    add_float_initializer(g_, name + "/zeropt", shape, zero_points, Carrier::Float32);
    add_float_initializer(g_, name + "/bitwidth", {}, {static_cast<double>(spec.bits)}, Carrier::Float32);
    pb::NodeProto& n = add_node(g_, "Quant", name, {x, name + "/scale", name + "/zeropt", name + "/bitwidth"}, out,
                                std::string(kQonnxDomain));
    set_int(n, "signed", spec.is_signed ? 1 : 0);
    set_int(n, "narrow", spec.narrow_range ? 1 : 0);
    set_string(n, "rounding_mode", mode);
  }

  // The weights as the layer sees them: fake-quantised with round half to even
  // (the IR's weight_quant has no rounding field), or as they are.
  std::string weights(const ir::Node& n, const std::optional<quant::QuantSpec>& spec) {
    const std::string& w = n.inputs.at(1);
    if (!spec) return w;
    const std::string out = n.name + "/weight_quant";
    quant(out, w, *spec, quant::RoundingMode::HalfToEven, out);
    declare_as(out, w);
    return out;
  }

  void declare_as(const std::string& name, const std::string& like) {
    set_tensor_type(*g_.add_value_info(), name, pb::TensorProto::FLOAT, graph_.tensor(like).shape);
  }

  static void window(pb::NodeProto& node, const ir::Pair& kernel, const ir::Pair& stride, const ir::Pair& padding) {
    set_ints(node, "kernel_shape", {kernel[0], kernel[1]});
    set_ints(node, "strides", {stride[0], stride[1]});
    set_ints(node, "pads", {padding[0], padding[1], padding[0], padding[1]});
  }

  void emit(const ir::Node& n) {
    const std::string& y = n.output();
    switch (n.op) {
      case ir::OpKind::Quant: {
        const auto& a = n.attrs<ir::QuantAttrs>();
        return quant(n.name, n.inputs.at(0), a.spec, a.rounding, y);
      }
      case ir::OpKind::BatchNorm:
        set_float(add_node(g_, "BatchNormalization", n.name, n.inputs, y), "epsilon",
                  static_cast<float>(n.attrs<ir::BatchNormAttrs>().epsilon));
        return;
      case ir::OpKind::Relu: add_node(g_, "Relu", n.name, n.inputs, y); return;
      case ir::OpKind::Conv2d: {
        const auto& a = n.attrs<ir::Conv2dAttrs>();
        const ir::Shape& w = graph_.tensor(n.inputs.at(1)).shape;
        std::vector<std::string> inputs{n.inputs.at(0), weights(n, a.weight_quant)};
        if (n.inputs.size() > 2) inputs.push_back(n.inputs[2]);
        pb::NodeProto& node = add_node(g_, "Conv", n.name, inputs, y);
        window(node, {w.at(2), w.at(3)}, a.stride, a.padding);
        set_ints(node, "dilations", {a.dilation[0], a.dilation[1]});
        set_int(node, "group", a.groups);
        return;
      }
      case ir::OpKind::Linear: {
        std::vector<std::string> inputs{n.inputs.at(0), weights(n, n.attrs<ir::LinearAttrs>().weight_quant)};
        if (n.inputs.size() > 2) inputs.push_back(n.inputs[2]);
        set_int(add_node(g_, "Gemm", n.name, inputs, y), "transB", 1);
        return;
      }
      case ir::OpKind::Add: add_node(g_, n.inputs.size() == 2 ? "Add" : "Sum", n.name, n.inputs, y); return;
      case ir::OpKind::Concat:
        set_int(add_node(g_, "Concat", n.name, n.inputs, y), "axis", n.attrs<ir::ConcatAttrs>().axis);
        return;
      case ir::OpKind::AvgPool: {
        const auto& a = n.attrs<ir::PoolAttrs>();
        pb::NodeProto& node = add_node(g_, "AveragePool", n.name, n.inputs, y);
        window(node, a.kernel, a.stride, a.padding);
        set_int(node, "count_include_pad", 1);  // integer-spec §14.5: the divisor is always kh·kw
        return;
      }
      case ir::OpKind::MaxPool: {
        const auto& a = n.attrs<ir::PoolAttrs>();
        window(add_node(g_, "MaxPool", n.name, n.inputs, y), a.kernel, a.stride, a.padding);
        return;
      }
      case ir::OpKind::Flatten:
        set_int(add_node(g_, "Flatten", n.name, n.inputs, y), "axis", n.attrs<ir::FlattenAttrs>().axis);
        return;
      case ir::OpKind::Reshape: {
        const ir::Shape& shape = n.attrs<ir::ReshapeAttrs>().shape;
        add_int64_initializer(g_, n.name + "/shape", {static_cast<std::int64_t>(shape.size())}, shape);
        add_node(g_, "Reshape", n.name, {n.inputs.at(0), n.name + "/shape"}, y);
        return;
      }
      case ir::OpKind::Requant:
      case ir::OpKind::Clip: break;
    }
    throw ir::GraphError(fmt::format("node \"{}\": {} is an integer-graph op; QONNX export takes the fake-quantised "
                                     "float graph (before conversion)",
                                     n.name, ir::to_string(n.op)));
  }

  const ir::Graph& graph_;
  pb::GraphProto& g_;
};

}  // namespace

pb::ModelProto export_qonnx(const ir::Graph& fake_quantised) {
  ir::validate(fake_quantised);
  for (const ir::Tensor& t : fake_quantised.tensors) {
    if (!t.type.is_float()) {
      throw ir::GraphError(fmt::format("graph \"{}\": tensor \"{}\" is {}; QONNX export takes the fake-quantised "
                                       "float graph (before conversion)",
                                       fake_quantised.name, t.name, ir::to_string(t.type)));
    }
  }
  pb::ModelProto model;
  model.set_ir_version(pb::IR_VERSION);
  model.set_producer_name("bitlab");
  model.set_domain("org.bitlab");
  model.set_model_version(1);
  model.set_doc_string("bitlab fake-quantised graph in QONNX form (docs/formats.md, \"QONNX\")");
  for (const auto& [domain, version] : {std::pair<std::string, int>{"", kQonnxOpset}, {std::string(kQonnxDomain), 1}}) {
    pb::OperatorSetIdProto& opset = *model.add_opset_import();
    opset.set_domain(domain);
    opset.set_version(version);
  }
  QonnxExporter(fake_quantised, *model.mutable_graph()).run();
  return model;
}

}  // namespace bitlab::onnx_io
