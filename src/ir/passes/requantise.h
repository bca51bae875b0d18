#pragma once
// Pass 6 of the conversion (docs/conversion.md §Pass 6): every real
// multiplier of the integer draft becomes a dyadic m·2^−s.
#include "ir/graph.h"
#include "ir/passes/conversion_options.h"
#include "ir/passes/fold_arithmetic.h"

namespace bitlab::ir::passes {

// Contract: returns the draft's graph with each requant's multipliers set to
// approximate_dyadic(M_c) (§9.1, ir::make_requant) and each add's to
// ir::make_add_requant(s_i, s_y) (§14.3), with options.dyadic's multiplier
// width and maximum shift, clamps unchanged; the result passes
// ir::validate_integer_graph. Throws ConversionError naming the node when a
// multiplier has no dyadic form (M ≥ 2^b, or so small it rounds to 0).
Graph requantise(const IntegerDraft& draft, const ConversionOptions& options = {});

}  // namespace bitlab::ir::passes
