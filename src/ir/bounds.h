#pragma once
// Accumulator bounds of docs/integer-spec.md §13, used by the validator (does
// an int32 accumulator suffice?) and by the float64 simulation (is double
// arithmetic still exact?).
#include <cstdint>

#include "ir/graph.h"

namespace bitlab::ir {

// Ax of §13: the largest |q − z| a code tensor can hold, over all channels.
std::int64_t code_magnitude(const Tensor& codes);

// An upper bound on |acc| of an integer conv2d, linear or avgpool node for
// every possible input: max over output channels c of
// Ax · Σ_k |w_{c,k} − zw_c| + |bias_c| (the actual constant weights, which is
// tighter than §13's N · Ax · Aw + B), or K · Ax for an avgpool window of K.
// Saturates at INT64_MAX. Throws GraphError for other ops.
std::int64_t accumulator_bound(const Graph& graph, const Node& node);

}  // namespace bitlab::ir
