#include "ir/passes/fold_arithmetic.h"

#include <fmt/format.h>

#include "ir/passes/conversion_error.h"
#include "ir/passes/graph_edit.h"
#include "ir/passes/integerise.h"
#include "ir/validate.h"

namespace bitlab::ir::passes {
namespace {

bool is_identity_quant(const Node& n, const Precisions& p) {
  return n.op == OpKind::Quant && p.at(n.inputs[0]).type.is_code() && p.at(n.inputs[0]) == p.at(n.output());
}

class Folding {
 public:
  Folding(Graph g, const Precisions& p) : g_(std::move(g)), p_(p) {}

  IntegerDraft run() {
    draft_.graph.name = g_.name;
    draft_.graph.inputs = g_.inputs;
    draft_.graph.outputs = g_.outputs;
    for (const std::string& x : g_.inputs) declare(x);
    for (const Node& n : g_.nodes) node(n);
    return std::move(draft_);
  }

 private:
  // The integer tensor of a non-constant float tensor.
  void declare(const std::string& name) {
    const TensorPrecision& p = p_.at(name);
    draft_.graph.add_tensor(int_tensor(name, g_.tensor(name).shape, p.type, p.quantization));
  }
  void constant(const std::string& name, std::vector<std::int64_t> values) {
    if (draft_.graph.find(name)) return;  // shared weights
    const TensorPrecision& p = p_.at(name);
    draft_.graph.add_tensor(int_constant(name, g_.tensor(name).shape, p.type, p.quantization, std::move(values)));
  }
  void emit(const Node& float_node, OpKind op, Attributes attributes) {
    declare(float_node.output());
    draft_.graph.add_node(Node{float_node.name, op, float_node.inputs, float_node.outputs, std::move(attributes)});
  }
  // The output's whole code range: a fused activation narrows it in pass 7.
  static std::pair<std::int32_t, std::int32_t> code_range(const TensorPrecision& p) {
    return {static_cast<std::int32_t>(p.type.min_value()), static_cast<std::int32_t>(p.type.max_value())};
  }

  void weighted(const Node& n, const quant::QuantSpec& spec) {
    const std::int64_t out_channels = g_.tensor(n.inputs[1]).shape.at(0);
    constant(n.inputs[1], weight_codes(g_.tensor(n.inputs[1]), spec));
    if (n.inputs.size() > 2) {
      const double sx = p_.at(n.inputs[0]).quantization.scale();
      constant(n.inputs[2], bias_codes(g_.tensor(n.inputs[2]), sx, spec, out_channels));
    }
    if (n.op == OpKind::Conv2d) {
      Conv2dAttrs a = n.attrs<Conv2dAttrs>();
      a.weight_quant.reset();  // the integer weights carry their grid
      emit(n, n.op, a);
    } else {
      emit(n, n.op, LinearAttrs{});
    }
  }

  void requant(const Node& n) {
    const TensorPrecision& x = p_.at(n.inputs[0]);
    const TensorPrecision& y = p_.at(n.output());
    RealRequant real;
    // M_c = s_x,c / s_y: s_x·s_w,c / s_y after a layer, (s_x / K) / s_y after an
    // avgpool (the accumulator's scale holds the product), s_x / s_y for codes.
    for (const double s : x.quantization.scales) real.multipliers.push_back(s / y.quantization.scale());
    real.axis = x.quantization.num_channels() > 1 ? x.quantization.axis : 1;
    const auto [lo, hi] = code_range(y);
    emit(n, OpKind::Requant, RequantAttrs{{}, real.axis, lo, hi});
    draft_.requants.emplace(n.name, std::move(real));
  }

  void node(const Node& n) {
    switch (n.op) {
      case OpKind::Quant: requant(n); break;
      case OpKind::Conv2d: weighted(n, *n.attrs<Conv2dAttrs>().weight_quant); break;
      case OpKind::Linear: weighted(n, *n.attrs<LinearAttrs>().weight_quant); break;
      case OpKind::AvgPool:
      case OpKind::MaxPool:
      case OpKind::Flatten:
      case OpKind::Reshape:
      case OpKind::Concat: emit(n, n.op, n.attributes); break;
      case OpKind::Relu: {
        // §10.2: max(0, ·) is max(z, ·) on codes, since real 0 is code z (§11).
        const TensorPrecision& x = p_.at(n.inputs[0]);
        const auto [lo, hi] = code_range(x);
        emit(n, OpKind::Clip, ClipAttrs{std::max(lo, x.quantization.zero_point()), hi});
        break;
      }
      case OpKind::Add: {
        RealAdd real;
        for (const std::string& in : n.inputs) real.input_scales.push_back(p_.at(in).quantization.scale());
        const TensorPrecision& y = p_.at(n.output());
        real.output_scale = y.quantization.scale();
        const auto [lo, hi] = code_range(y);
        emit(n, OpKind::Add, AddAttrs{AddRequant{{}, 0, lo, hi}});
        draft_.adds.emplace(n.name, std::move(real));
        break;
      }
      default:
        throw ConversionError(fmt::format("graph \"{}\": node \"{}\" ({}) has no integer form", g_.name, n.name,
                                          to_string(n.op)));
    }
  }

  Graph g_;
  const Precisions& p_;
  IntegerDraft draft_;
};

// Drops every quant whose input already holds its codes (the graph input's
// quant, the quant after an add), keeping graph output names.
Graph drop_identity_quants(const Graph& graph, const Precisions& p) {
  Graph g = graph;
  for (std::size_t i = 0; i < g.nodes.size();) {
    if (!is_identity_quant(g.nodes[i], p)) {
      ++i;
      continue;
    }
    const std::string out = g.nodes[i].output();
    if (!bypass_node(g, i)) {
      throw ConversionError(fmt::format("graph \"{}\": graph output \"{}\" is just the quantised graph input \"{}\"",
                                        g.name, out, g.nodes[i].inputs[0]));
    }
    // When the producer now writes `out`, `out` already has the same precision.
  }
  return g;
}

}  // namespace

IntegerDraft fold_arithmetic(const Graph& graph, const Precisions& precisions) {
  validate(graph);
  return Folding(drop_identity_quants(graph, precisions), precisions).run();
}

}  // namespace bitlab::ir::passes
