#pragma once
// Pass 7 of the conversion (docs/conversion.md §Pass 7): ReLU / clip fused
// into the clamp of the requant or add in front of it (integer-spec §10.2).
#include "ir/graph.h"

namespace bitlab::ir::passes {

// Contract: for a valid integer graph, returns one that computes the same
// codes for every input (bit for bit) in which no clip directly follows a
// requant or add whose output only it reads: such a clip [a, b] is removed
// and the producer's clamp [lo, hi] becomes [max(lo, a), min(hi, b)]
// (clamp∘clamp is one clamp when the intervals overlap; they always do for a
// ReLU, whose a = max(qmin, z) lies in [lo, hi]). Other clips stay. Graph
// output names are kept.
Graph fold_activations(const Graph& graph);

}  // namespace bitlab::ir::passes
