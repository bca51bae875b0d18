#pragma once
// Pass 4 of the conversion (docs/conversion.md §Pass 4, "ε-propagation"):
// the integer type and grid (scale ε, zero point) of every tensor.
#include <map>
#include <string>

#include "ir/graph.h"

namespace bitlab::ir::passes {

// What a float tensor becomes in the integer graph.
struct TensorPrecision {
  ElementType type;
  Quantization quantization;
  bool operator==(const TensorPrecision&) const = default;
};

using Precisions = std::map<std::string, TensorPrecision>;

// Contract: for a canonical, BN-free, harmonised graph (passes 1–3), returns
// the precision of every tensor, constants included:
//   graph input        codes of the quant(s) reading it (all on one grid);
//   quant output       codes of its spec (activations: per tensor);
//   add output         codes of the quant reading it (the add writes them, §14.3);
//   maxpool, flatten, reshape, relu, concat output   the input's grid;
//   conv2d / linear    weights: codes of weight_quant; bias: int32 with scale
//                      s_x·s_w,c; output: accumulator, scale s_x·s_w,c per
//                      channel (axis 1), int32 when §13's bound
//                      N·Ax·Aw + max|bias| fits, else int64;
//   avgpool output     accumulator with scale s_x / (kh·kw), int32 when K·Ax fits.
// Throws ConversionError naming the node where the graph needs codes it
// cannot have: a conv/linear/avgpool/add/relu input that is not quantised, a
// conv/linear/avgpool output read by anything but quants, a graph input not
// read only by quants on one grid, a per-channel activation quant, a layer
// without weight_quant, a batchnorm (run fold_batchnorm first), or an
// accumulator that overflows int64.
Precisions propagate(const Graph& graph);

}  // namespace bitlab::ir::passes
