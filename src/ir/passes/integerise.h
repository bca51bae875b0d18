#pragma once
// Integer constants of a conversion, rounded exactly as the fake-quantised
// graph and integer-spec §14.8 say.
#include <cstdint>
#include <vector>

#include "ir/tensor.h"
#include "quant/spec.h"

namespace bitlab::ir::passes {

// The codes the fake quantiser gives float weights `w` under `spec`:
// clamp(round_half_to_even(fl64(w / s_c)) + z_c, qmin, qmax) (§4, §6; a
// weight_quant carries no rounding mode, so the IR's default applies, the
// same one the float executor uses).
std::vector<std::int64_t> weight_codes(const Tensor& w, const quant::QuantSpec& spec);

// §14.8: bias_c = round_half_to_even(b_c / fl64(s_x · s_w,c)) for every
// output channel c (`out_channels` of them; a per-tensor weight spec has one
// s_w). Throws ConversionError naming `bias` when a code leaves int32.
std::vector<std::int64_t> bias_codes(const Tensor& bias, double input_scale, const quant::QuantSpec& weight_spec,
                                     std::int64_t out_channels);

// s_x · s_w,c per output channel (one entry for per-tensor weights): the
// scale of the accumulator and of the bias.
std::vector<double> accumulator_scales(double input_scale, const quant::QuantSpec& weight_spec);

}  // namespace bitlab::ir::passes
