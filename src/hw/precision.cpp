#include "hw/precision.h"

#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "hw/activation_values.h"

namespace bitlab::hw {
namespace {

void check_bits(int bits, const std::string& what) {
  if (bits < LayerPrecision::kMinBits || bits > LayerPrecision::kMaxBits) {
    throw std::invalid_argument(fmt::format("{}: {} bits is out of range; widths are {} to {} bits (32 = float32)",
                                            what, bits, LayerPrecision::kMinBits, LayerPrecision::kMaxBits));
  }
}

// Bits of the codes a tensor holds, when it holds codes: an integer code
// tensor, or the output of a Quant node in a float graph.
std::optional<int> code_bits(const ir::Graph& graph, const std::string& tensor_name) {
  const ir::Tensor& t = graph.tensor(tensor_name);
  if (!t.type.is_float()) return t.type.is_code() ? std::optional<int>(t.type.bits) : std::nullopt;
  for (const ir::Node& node : graph.nodes) {
    if (node.op == ir::OpKind::Quant && node.output() == tensor_name) return node.attrs<ir::QuantAttrs>().spec.bits;
  }
  return std::nullopt;
}

// The stored width of a value: the codes of its last alias that holds codes
// (conv -> requant: the requantised codes); float32 when none does.
int stored_bits(const ir::Graph& graph, const std::vector<std::string>& aliases) {
  for (auto it = aliases.rbegin(); it != aliases.rend(); ++it) {
    if (const std::optional<int> bits = code_bits(graph, *it)) return *bits;
  }
  return LayerPrecision::kMaxBits;
}

int weight_bits_of(const ir::Graph& graph, const ir::Node& node) {
  const ir::Tensor& w = graph.tensor(node.inputs.at(1));
  if (!w.type.is_float()) return w.type.bits;
  const std::optional<quant::QuantSpec>& spec = node.op == ir::OpKind::Conv2d ? node.attrs<ir::Conv2dAttrs>().weight_quant
                                                                             : node.attrs<ir::LinearAttrs>().weight_quant;
  return spec ? spec->bits : LayerPrecision::kMaxBits;
}

}  // namespace

void LayerPrecision::validate(const std::string& what) const {
  check_bits(weight_bits, what + " weights");
  check_bits(activation_bits, what + " activations");
}

void PrecisionAssignment::validate() const {
  check_bits(input_bits, "precision assignment input");
  default_precision.validate("precision assignment default");
  for (const auto& [name, p] : layers) p.validate(fmt::format("precision assignment \"{}\"", name));
}

const LayerPrecision& PrecisionAssignment::of(const std::string& node_name) const {
  const auto it = layers.find(node_name);
  return it == layers.end() ? default_precision : it->second;
}

PrecisionAssignment PrecisionAssignment::uniform(int weight_bits, int activation_bits, int input_bits) {
  PrecisionAssignment p;
  p.input_bits = input_bits;
  p.default_precision = {weight_bits, activation_bits};
  return p;
}

PrecisionAssignment precision_from_graph(const ir::Graph& graph) {
  const ValueAliases values = find_values(graph);
  auto stored_bits_of = [&](const std::string& tensor) { return stored_bits(graph, values.tensors[values.value_of.at(tensor)]); };
  PrecisionAssignment p;
  if (!graph.inputs.empty()) p.input_bits = stored_bits_of(graph.inputs.front());
  for (const ir::Node& node : graph.nodes) {
    LayerPrecision layer;
    switch (node.op) {
      case ir::OpKind::Conv2d:
      case ir::OpKind::Linear: layer.weight_bits = weight_bits_of(graph, node); break;
      case ir::OpKind::Add:
      case ir::OpKind::AvgPool: break;
      default: continue;  // max pooling and alias ops pass their input's bits on
    }
    layer.activation_bits = stored_bits_of(node.output());
    p.layers.emplace(node.name, layer);
  }
  return p;
}

}  // namespace bitlab::hw
