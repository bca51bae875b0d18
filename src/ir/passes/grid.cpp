#include "ir/passes/grid.h"

#include "ir/passes/graph_edit.h"

namespace bitlab::ir::passes {

std::optional<quant::QuantSpec> float_grid(const Graph& graph, const std::string& tensor) {
  const Node* n = producer_node(graph, tensor);
  if (!n) return std::nullopt;
  switch (n->op) {
    case OpKind::Quant: return n->attrs<QuantAttrs>().spec;
    case OpKind::MaxPool:
    case OpKind::Flatten:
    case OpKind::Reshape:
    case OpKind::Relu: {
      auto g = float_grid(graph, n->inputs.at(0));
      // Flatten and reshape move channels around: only a per-tensor grid survives.
      if (g && g->granularity == quant::Granularity::PerChannel && n->op != OpKind::MaxPool && n->op != OpKind::Relu) {
        return std::nullopt;
      }
      return g;
    }
    case OpKind::Concat: {
      auto first = float_grid(graph, n->inputs.at(0));
      if (!first || first->granularity != quant::Granularity::PerTensor) return std::nullopt;
      for (std::size_t i = 1; i < n->inputs.size(); ++i) {
        auto g = float_grid(graph, n->inputs[i]);
        if (!g || !same_grid(*g, *first)) return std::nullopt;
      }
      return first;
    }
    default: return std::nullopt;
  }
}

bool same_grid(const quant::QuantSpec& a, const quant::QuantSpec& b) {
  return code_type(a) == code_type(b) && ir::same_grid(code_quantization(a), code_quantization(b));
}

ElementType code_type(const quant::QuantSpec& spec) {
  return ElementType::integer(spec.bits, spec.is_signed, spec.narrow_range);
}

Quantization code_quantization(const quant::QuantSpec& spec) {
  std::vector<std::int32_t> zero_points;
  for (std::size_t c = 0; c < spec.num_channels(); ++c) zero_points.push_back(spec.zero_point(c));
  if (spec.granularity == quant::Granularity::PerTensor) return Quantization::per_tensor(spec.scales.at(0), zero_points.at(0));
  return Quantization::per_channel(spec.axis, spec.scales, std::move(zero_points));
}

}  // namespace bitlab::ir::passes
