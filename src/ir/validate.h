#pragma once
// The rules every IR graph obeys, checked in one place (docs/formats.md lists
// them; docs/integer-spec.md §14 gives the integer ops' precision rules).
#include "ir/graph.h"

namespace bitlab::ir {

// Contract: returns iff the graph has unique non-empty names, tensors whose
// types, quantisation and constant data agree with their shapes, nodes in
// topological order with no dangling tensors, declared shapes equal to
// inferred ones, and per-op precision consistency (§14); otherwise throws
// GraphError naming the graph, the node or tensor, and the broken rule.
void validate(const Graph& graph);

// Contract: validate(graph), and additionally every tensor is an integer and
// no float-only op is present (what the reference runtime executes).
void validate_integer_graph(const Graph& graph);

}  // namespace bitlab::ir
