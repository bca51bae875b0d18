#pragma once
// The requant op (integer-spec §14.9) under hardware-width emulation (§15),
// used by the reference runtime when ReferenceOptions::hardware is set.
#include "ir/graph.h"
#include "runtime/hardware_widths.h"
#include "runtime/tensor.h"

namespace bitlab::runtime {

// An accumulator input (an integer type wider than 16 bits) is first narrowed
// to widths.accumulator_bits. Then, with widths.scale_bits = 0, the stored
// multipliers apply as in §14.9; otherwise channel c is multiplied by the
// truncated accumulator scale s_x,c and the truncated inverse output scale
// 1/s_y and rounded once (requantise_two_factors).
IntTensor hardware_requant(const ir::Node& node, const IntTensor& x, const ir::Tensor& x_info, const ir::Tensor& y_info,
                           const HardwareWidths& widths);

}  // namespace bitlab::runtime
