#include "ir/passes/fold_activations.h"

#include <algorithm>

#include "ir/passes/graph_edit.h"
#include "ir/validate.h"

namespace bitlab::ir::passes {
namespace {

// Narrows [lo, hi] to its overlap with [a, b]; false (unchanged) when they do not overlap.
bool narrow(std::int32_t& lo, std::int32_t& hi, std::int32_t a, std::int32_t b) {
  if (std::max(lo, a) > std::min(hi, b)) return false;
  lo = std::max(lo, a);
  hi = std::min(hi, b);
  return true;
}

bool fuse_one(Graph& g) {
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].op != OpKind::Clip) continue;
    const std::string& x = g.nodes[i].inputs[0];
    const auto p = producer(g, x);
    if (!p || !has_single_reader(g, x)) continue;
    const ClipAttrs clip = g.nodes[i].attrs<ClipAttrs>();
    Node& producer_node = g.nodes[*p];
    bool fused = false;
    if (producer_node.op == OpKind::Requant) {
      auto& a = std::get<RequantAttrs>(producer_node.attributes);
      fused = narrow(a.lo, a.hi, clip.lo, clip.hi);
    } else if (producer_node.op == OpKind::Add) {
      auto& a = *std::get<AddAttrs>(producer_node.attributes).requant;
      fused = narrow(a.lo, a.hi, clip.lo, clip.hi);
    }
    // The clip is now an identity on the producer's output. Its input is a
    // node output read only by it, so bypass_node keeps the output's name.
    if (fused && bypass_node(g, i)) return true;
  }
  return false;
}

}  // namespace

Graph fold_activations(const Graph& graph) {
  validate(graph);
  Graph g = graph;
  while (fuse_one(g)) {
  }
  validate(g);
  return g;
}

}  // namespace bitlab::ir::passes
