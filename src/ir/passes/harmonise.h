#pragma once
// Pass 3 of the conversion (docs/conversion.md §Pass 3, "ε-harmonisation"):
// brings the branches of every concat onto one grid and gives every add an
// output grid.
#include "ir/graph.h"
#include "quant/spec.h"

namespace bitlab::ir::passes {

// Contract: returns a graph in which every concat's inputs lie on one
// per-tensor grid and every add's output is read by exactly one quant, and
// throws ConversionError when an input of an add or concat lies on no grid
// (is not quantised). Rewrites:
//   concat → quant Q: Q is copied onto each branch not already on Q's grid
//     and the quant after the concat is dropped (exact: quantising commutes
//     with concatenation);
//   other concats: a quant onto common_grid(union of the branch ranges) is
//     inserted on each branch not on it;
//   add not followed by a quant: a quant onto common_grid(range of the exact
//     sum) is inserted after it. An add followed by a quant needs nothing:
//     the integer add (integer-spec §14.3) rescales each branch with its own
//     multiplier and rounds once, which is what a requant per branch
//     followed by an exact add would do, minus one rounding.
Graph harmonise(const Graph& graph);

// The grid chosen for values in the real range [lo, hi] that are multiples of
// `finest_scale` (every branch's scale is a multiple of it when the branch
// scales are equal or power-of-two related): scale finest_scale, zero point
// 0, unsigned when lo >= 0, and the fewest bits whose code range covers
// [lo, hi], so nothing saturates and no value is rounded. When that needs
// more than 16 bits, the 16-bit grid whose range just covers [lo, hi].
quant::QuantSpec common_grid(double finest_scale, double lo, double hi);

}  // namespace bitlab::ir::passes
