#pragma once
// Pass 3b of the conversion (docs/conversion.md §Pass 3b): gives weight
// channels whose learned step collapsed a step the integer graph can carry.
#include "ir/graph.h"

namespace bitlab::ir::passes {

// A channel's weight step is collapsed when it is below kCollapsedStepRatio
// times the largest step of its layer.
inline constexpr double kCollapsedStepRatio = 0x1p-12;

// Contract: returns the graph with the step s_w,c of every collapsed channel
// (above) of a conv2d / linear with a per-channel weight_quant raised by the
// smallest power of two 2^k that brings it to at least kCollapsedStepRatio ×
// the layer's largest step and, when the layer has a bias and its input grid
// s_x is one known scale (grid.h's float_grid of the input), keeps the bias code round(b_c / (s_x·s_w,c)) within the bound of
// the products, fan_in·max|x − z_x|·max|w|.
// Every other channel and every per-tensor grid is left as it is.
// Why: LSQ-style learned steps can shrink towards 0 for a dead channel
// (weights ≈ 0, output ≈ its bias). Left alone, its bias needs more than 32
// bits at s_x·s_w,c, and its accumulator times the requant multiplier leaves
// the 53 bits in which the float64 simulation is exact, so conversion fails.
// The coarser grid re-rounds weights the model cannot tell from 0 (each moves
// by at most half the new step); the integer graph and its simulation still
// agree bit for bit.
Graph lift_collapsed_steps(const Graph& graph);

}  // namespace bitlab::ir::passes
