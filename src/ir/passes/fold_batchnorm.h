#pragma once
// Pass 2 of the conversion (docs/conversion.md §Pass 2): folds every
// batchnorm into the conv2d / linear in front of it.
#include "ir/graph.h"

namespace bitlab::ir::passes {

// Contract: returns a graph without batchnorm nodes whose conv2d / linear
// outputs equal the old batchnorm outputs up to float rounding, with the same
// weight codes. A batchnorm y = a_c·(v − mean_c) + beta_c, a_c = gamma_c /
// sqrt(var_c + eps), after a layer with fake-quantised weights s_c·q (integer-
// spec §4–§6) and bias b_c becomes that layer with weight scales |a_c|·s_c
// (per channel), codes sign(a_c)·q and bias a_c·(b_c − mean_c) + beta_c. The
// float weights become the fake-quantised folded weights fl32(|a_c|·s_c·q'),
// which quantise back to exactly q' (they sit 2^−24·|q'| from the code, far
// from a rounding tie), so the codes the fake quantiser chose are kept.
// Throws ConversionError for a batchnorm whose input is not a conv2d / linear
// output read by it alone, for a layer without weight_quant, and where a_c < 0
// would need a code outside the range (−qmin of a full-range signed spec,
// unsigned codes) or a non-zero weight zero point.
Graph fold_batchnorm(const Graph& graph);

}  // namespace bitlab::ir::passes
