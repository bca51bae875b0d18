#include "hw/layer_view.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "common/text.h"
#include "hw/activation_values.h"

namespace bitlab::hw {
namespace {

bool is_compute_op(ir::OpKind op) {
  switch (op) {
    case ir::OpKind::Conv2d:
    case ir::OpKind::Linear:
    case ir::OpKind::Add:
    case ir::OpKind::AvgPool:
    case ir::OpKind::MaxPool: return true;
    default: return false;
  }
}

// Drops the batch dim: [N, C, H, W] -> [C, H, W].
ir::Shape per_sample(const ir::Shape& shape) {
  if (shape.empty()) return shape;
  return ir::Shape(shape.begin() + 1, shape.end());
}

std::int64_t per_sample_elements(const ir::Shape& shape) { return ir::num_elements(per_sample(shape)); }

void check_names_exist(const ir::Graph& graph, const PrecisionAssignment& precision) {
  std::set<std::string, std::less<>> node_names;
  std::vector<std::string> layer_names;
  for (const ir::Node& node : graph.nodes) {
    node_names.insert(node.name);
    if (is_compute_op(node.op)) layer_names.push_back(node.name);
  }
  for (const auto& [name, bits] : precision.layers) {
    if (node_names.count(name)) continue;
    const std::string hint = closest_match(name, layer_names);
    throw std::invalid_argument(fmt::format("precision assignment names \"{}\", which is no node of graph \"{}\"{}; "
                                            "its layers: {}",
                                            name, graph.name, hint.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", hint),
                                            join(layer_names)));
  }
}

// Shapes, weights and operation counts of one compute node; bits are set by the caller.
Layer describe(const ir::Graph& graph, const ir::Node& node, int step) {
  Layer layer;
  layer.name = node.name;
  layer.step = step;
  const ir::Tensor& x = graph.tensor(node.inputs.at(0));
  const ir::Tensor& y = graph.tensor(node.output());
  layer.input_shape = per_sample(x.shape);
  layer.output_shape = per_sample(y.shape);
  layer.output_elements = per_sample_elements(y.shape);
  for (const std::string& input : node.inputs) {
    const ir::Tensor& t = graph.tensor(input);
    if (!t.is_constant()) layer.input_elements += per_sample_elements(t.shape);
  }
  switch (node.op) {
    case ir::OpKind::Conv2d: {
      const auto& a = node.attrs<ir::Conv2dAttrs>();
      const ir::Tensor& w = graph.tensor(node.inputs.at(1));
      layer.weight_shape = w.shape;
      layer.kernel = {w.shape.at(2), w.shape.at(3)};
      layer.stride = a.stride;
      layer.dilation = a.dilation;
      layer.groups = a.groups;
      const std::int64_t in_channels = x.shape.at(1);
      const std::int64_t out_channels = w.shape.at(0);
      const bool depthwise = a.groups > 1 && a.groups == in_channels && out_channels == in_channels;
      layer.kind = depthwise ? LayerKind::DepthwiseConv2d : LayerKind::Conv2d;
      layer.weight_elements = ir::num_elements(w.shape);
      // Each output pixel of each output channel sums (I/groups)·kh·kw products:
      // MACs = O·(I/groups)·kh·kw · Ho·Wo = weight elements · output pixels.
      layer.macs = layer.weight_elements * y.shape.at(2) * y.shape.at(3);
      break;
    }
    case ir::OpKind::Linear: {
      const ir::Tensor& w = graph.tensor(node.inputs.at(1));
      layer.kind = LayerKind::Linear;
      layer.weight_shape = w.shape;
      layer.weight_elements = ir::num_elements(w.shape);
      layer.macs = layer.weight_elements * (layer.output_elements / w.shape.at(0));
      break;
    }
    case ir::OpKind::Add:
      layer.kind = LayerKind::Add;
      layer.num_inputs = static_cast<int>(node.inputs.size());
      layer.adds = (layer.num_inputs - 1) * layer.output_elements;
      break;
    case ir::OpKind::AvgPool:
    case ir::OpKind::MaxPool: {
      const auto& a = node.attrs<ir::PoolAttrs>();
      layer.kind = node.op == ir::OpKind::AvgPool ? LayerKind::AvgPool : LayerKind::MaxPool;
      layer.kernel = a.kernel;
      layer.stride = a.stride;
      const std::int64_t window_ops = (a.kernel[0] * a.kernel[1] - 1) * layer.output_elements;
      (layer.kind == LayerKind::AvgPool ? layer.adds : layer.compares) = window_ops;
      break;
    }
    default: break;
  }
  if (has_weights(layer.kind) && node.inputs.size() > 2) {
    layer.bias_elements = ir::num_elements(graph.tensor(node.inputs[2]).shape);
  }
  return layer;
}

}  // namespace

std::string_view to_string(LayerKind kind) {
  switch (kind) {
    case LayerKind::Conv2d: return "conv2d";
    case LayerKind::DepthwiseConv2d: return "depthwise_conv2d";
    case LayerKind::Linear: return "linear";
    case LayerKind::Add: return "add";
    case LayerKind::AvgPool: return "avgpool";
    case LayerKind::MaxPool: return "maxpool";
  }
  return "?";
}

bool has_weights(LayerKind kind) {
  return kind == LayerKind::Conv2d || kind == LayerKind::DepthwiseConv2d || kind == LayerKind::Linear;
}

const Layer& LayerView::layer(std::string_view name) const {
  for (const Layer& l : layers)
    if (l.name == name) return l;
  throw std::out_of_range(fmt::format("graph \"{}\" has no compute layer \"{}\"", graph_name, name));
}

LayerView extract_layers(const ir::Graph& graph, const PrecisionAssignment& precision) {
  precision.validate();
  check_names_exist(graph, precision);

  LayerView view;
  view.graph_name = graph.name;
  view.num_steps = static_cast<int>(graph.nodes.size());
  for (const ir::Tensor& t : graph.tensors) {
    if (t.is_constant()) view.constant_elements += ir::num_elements(t.shape);  // constants have no batch dim
    else view.all_activation_elements += per_sample_elements(t.shape);
  }

  std::map<std::string, int, std::less<>> bits;  // activation tensor -> bits
  for (const std::string& input : graph.inputs) bits[input] = precision.input_bits;
  auto bits_of = [&](const std::string& tensor) {
    const auto it = bits.find(tensor);
    return it == bits.end() ? precision.input_bits : it->second;
  };
  const std::set<std::string, std::less<>> outputs(graph.outputs.begin(), graph.outputs.end());

  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    int widest_input = 0;
    for (const std::string& input : node.inputs)
      if (!graph.tensor(input).is_constant()) widest_input = std::max(widest_input, bits_of(input));
    if (widest_input == 0) widest_input = precision.input_bits;  // a node fed by constants only
    int out_bits = precision.names(node.name) ? precision.of(node.name).activation_bits : widest_input;
    if (is_compute_op(node.op)) {
      Layer layer = describe(graph, node, static_cast<int>(i));
      const LayerPrecision& p = precision.of(node.name);
      if (node.op != ir::OpKind::MaxPool) out_bits = p.activation_bits;
      layer.weight_bits = has_weights(layer.kind) ? p.weight_bits : 0;
      layer.input_bits = widest_input;
      layer.output_bits = out_bits;  // refined below to the stored width
      view.layers.push_back(std::move(layer));
    }
    bits[node.output()] = out_bits;
  }

  const ValueAliases aliases = find_values(graph);
  for (std::size_t v = 0; v < aliases.tensors.size(); ++v) {
    const std::vector<std::string>& tensors = aliases.tensors[v];
    ActivationValue value;
    value.name = tensors.front();
    value.elements = per_sample_elements(graph.tensor(value.name).shape);
    value.bits = bits_of(tensors.back());
    value.first_step = aliases.first_step[v];
    value.last_step = aliases.last_step[v];
    value.is_graph_input = std::find(graph.inputs.begin(), graph.inputs.end(), value.name) != graph.inputs.end();
    value.is_graph_output = std::any_of(tensors.begin(), tensors.end(), [&](const std::string& t) { return outputs.count(t) > 0; });
    view.values.push_back(value);
  }
  // A layer stores its output at the width of the value's last alias: conv ->
  // requant stores the requantised codes, not the int32 accumulator.
  for (Layer& layer : view.layers) {
    const ir::Node& node = graph.nodes[static_cast<std::size_t>(layer.step)];
    const ActivationValue& value = view.values[aliases.value_of.at(node.output())];
    layer.output_bits = value.bits;
    layer.is_graph_output = value.is_graph_output;
  }
  return view;
}

LayerView extract_layers(const ir::Graph& graph) { return extract_layers(graph, precision_from_graph(graph)); }

}  // namespace bitlab::hw
