#include "ir/passes/canonicalise.h"

#include <utility>

#include "ir/passes/graph_edit.h"
#include "ir/passes/grid.h"
#include "ir/validate.h"

namespace bitlab::ir::passes {
namespace {

// N1: a reshape / flatten that changes no shape is an identity.
bool drop_identity_reshape(Graph& g) {
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.op != OpKind::Reshape && n.op != OpKind::Flatten) continue;
    if (g.tensor(n.inputs[0]).shape == g.tensor(n.output()).shape && bypass_node(g, i)) return true;
  }
  return false;
}

// N2: relu → quant ⇒ quant → relu. For z in [qmin, qmax], quantise(max(v, 0)) =
// max(quantise(v), z) because quantise is monotone and quantise(0) = z (§11);
// dequantised, both are s·(max(q, z) − z). The relu then keeps the quant's
// grid, so the tensor between them takes the relu input's place.
bool move_relu_after_quant(Graph& g) {
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].op != OpKind::Relu) continue;
    const std::string relu_out = g.nodes[i].output();
    if (!has_single_reader(g, relu_out)) continue;
    const std::size_t q = readers(g, relu_out).front();
    if (g.nodes[q].op != OpKind::Quant) continue;
    // relu: x → r, quant: r → y   becomes   quant: x → r, relu: r → y
    // (r keeps its shape: both ops preserve shapes). The quant moves up to
    // the relu's slot, which keeps the order topological.
    Node relu = g.nodes[i];
    Node quant = g.nodes[q];
    const std::string x = relu.inputs[0];
    const std::string y = quant.output();
    quant.inputs = {x};
    quant.outputs = {relu_out};
    relu.inputs = {relu_out};
    relu.outputs = {y};
    g.nodes[i] = std::move(quant);
    g.nodes[q] = std::move(relu);
    return true;
  }
  return false;
}

bool range_contains(const quant::QuantSpec& outer, const quant::QuantSpec& inner) {
  return outer.qmin() <= inner.qmin() && inner.qmax() <= outer.qmax();
}

// N3: identity quants and mergeable quant chains.
bool merge_quants(Graph& g) {
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].op != OpKind::Quant) continue;
    const quant::QuantSpec& spec = g.nodes[i].attrs<QuantAttrs>().spec;
    const std::string& x = g.nodes[i].inputs[0];
    // Identity: x is already on exactly this grid, so quantise returns x.
    if (const auto in_grid = float_grid(g, x); in_grid && same_grid(*in_grid, spec)) {
      if (bypass_node(g, i)) return true;
      continue;
    }
    // quant A → quant B with equal scales and zero points: B re-rounds an
    // integer (no-op) and clamps to its range, so A∘B = one quant with A's
    // rounding and the intersection of the ranges, when that is one of them.
    const auto p = producer(g, x);
    if (!p || g.nodes[*p].op != OpKind::Quant || !has_single_reader(g, x)) continue;
    const QuantAttrs first = g.nodes[*p].attrs<QuantAttrs>();
    if (!ir::same_grid(code_quantization(first.spec), code_quantization(spec))) continue;
    QuantAttrs merged = first;
    if (range_contains(first.spec, spec)) {
      merged.spec = spec;
    } else if (!range_contains(spec, first.spec)) {
      continue;
    }
    g.nodes[i].attributes = merged;
    g.nodes[i].inputs[0] = g.nodes[*p].inputs[0];
    g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(*p));
    remove_unused_tensors(g);
    return true;
  }
  return false;
}

}  // namespace

Graph canonicalise(const Graph& graph) {
  validate(graph);
  Graph g = graph;
  while (drop_identity_reshape(g) || move_relu_after_quant(g) || merge_quants(g)) {
  }
  validate(g);
  return g;
}

}  // namespace bitlab::ir::passes
