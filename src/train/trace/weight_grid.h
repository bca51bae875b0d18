#pragma once
// The integer grid a weight quantiser's outputs are stored on, for every QAT
// weight algorithm (docs/conversion.md, "Non-uniform weights"). Uniform
// algorithms keep their own spec; binary, ternary and log2 levels are integer
// multiples of one scale and map onto a signed grid exactly; level sets with
// no common grid (TTQ with Wp != Wn, learned codebooks) are rounded onto a
// uniform grid of TraceOptions::level_grid_bits.
#include <string>

#include <torch/torch.h>

#include "quant/spec.h"

namespace bitlab::train {

class QuantizerImpl;

struct WeightGrid {
  quant::QuantSpec spec;  // the layer's weight_quant
  torch::Tensor weight;   // what the graph stores: on spec's grid, same dtype as the input weight
  bool exact = true;      // weight equals the quantiser's output (false: levels were rounded)
};

// Contract: `weight` is quantizer.forward()'s output for the layer (computed
// before this call, so levels() reads the state that forward used). Returns a
// spec whose codes reproduce `weight` exactly (exact = true), or, for level
// sets without a common grid, the weights rounded half-to-even onto the
// symmetric narrow signed grid of `level_grid_bits` bits whose largest code is
// the largest level magnitude (exact = false; each level moves by at most
// max|level| / (2^level_grid_bits - 2)).
// Throws ConfigError naming `layer` and the algorithm when log2 levels need
// more than 16 bits of integer code, and when level_grid_bits is outside [2, 16].
WeightGrid weight_grid(const QuantizerImpl& quantizer, const torch::Tensor& weight, const std::string& layer,
                       int level_grid_bits);

}  // namespace bitlab::train
