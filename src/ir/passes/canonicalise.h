#pragma once
// Pass 1 of the conversion (docs/conversion.md §Pass 1): puts a fake-quantised
// float graph into the normal form the later passes rely on.
#include "ir/graph.h"

namespace bitlab::ir::passes {

// Contract: returns a graph that computes exactly the same values for every
// input (every rewrite is an identity of real arithmetic, not an
// approximation; graph input and output names are kept) and is in normal form:
//   N1  no reshape or flatten whose output shape equals its input shape;
//   N2  no relu whose only reader is a quant: relu → quant becomes
//       quant → relu (exact, since quantise is monotone and maps 0 to z, §11),
//       so a ReLU always acts on codes and later fuses into a clamp (§10.2);
//   N3  no quant whose input already lies on its grid (an identity), and no
//       quant → quant on the same scales and zero points where one code range
//       contains the other (merged into one quant with the first one's
//       rounding and the narrower range).
// Rewrites repeat until none applies. Throws GraphError for an invalid graph.
Graph canonicalise(const Graph& graph);

}  // namespace bitlab::ir::passes
