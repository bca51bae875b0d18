#pragma once
// Turns the real multipliers of a conversion into the integer attributes of
// requant and add nodes (docs/integer-spec.md §9.1, §14.3, §14.9).
#include <span>

#include "ir/ops.h"
#include "quant/dyadic.h"

namespace bitlab::ir {

// One dyadic multiplier per real multiplier (approximate_dyadic each), and the
// clamp; `axis` is the channel axis when there is more than one.
RequantAttrs make_requant(std::span<const double> real_multipliers, quant::OutputClamp clamp, int axis = 1,
                          const quant::DyadicOptions& options = {});

// Integer add of inputs with scales s_i into an output with scale s_y (§14.3):
// M_i = s_i / s_y; the common shift s is the one approximate_dyadic picks for
// the largest M_i (so that multiplier has `multiplier_bits` significant bits),
// and every m_i = round_half_away_from_zero(M_i · 2^s). Throws
// std::invalid_argument when some m_i rounds to 0 (that input is below the
// output's resolution: the calibration is broken) or as approximate_dyadic does.
AddRequant make_add_requant(std::span<const double> input_scales, double output_scale, quant::OutputClamp clamp,
                            const quant::DyadicOptions& options = {});

}  // namespace bitlab::ir
