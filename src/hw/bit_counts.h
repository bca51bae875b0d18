#pragma once
// Operation and size counts that need no hardware description
// (docs/cost-models.md §2, §3): MACs, BOPs and AutoQKeras's total bits.
#include <cstdint>
#include <optional>

#include "hw/layer_view.h"

namespace bitlab::hw {

// Bit operations: MACs × weight bits × input activation bits, the simplified
// form of UNIQ's BOPs (Baskin et al., ACM TOCS 2021) that Bayesian Bits (van
// Baalen et al., NeurIPS 2020) uses. Zero for layers without weights.
std::int64_t bops(const Layer& layer);

struct TotalBitsOptions {
  // Width the network input is counted at; unset: the graph's input bits.
  std::optional<int> input_bits = std::nullopt;
  // Width the network outputs are counted at (AutoQKeras's output_bits, meant
  // for softmax outputs); unset: the output layer's own activation bits.
  std::optional<int> output_bits = std::nullopt;
  // Biases are int32 in the integer graph (docs/integer-spec.md §13).
  int bias_bits = 32;
};

struct LayerBits {
  std::int64_t parameter_bits = 0;   // weights × weight bits + biases × bias bits
  std::int64_t activation_bits = 0;  // outputs × output bits
  [[nodiscard]] std::int64_t total() const { return parameter_bits + activation_bits; }
};

struct TotalBits {
  std::int64_t input_bits = 0;  // the graph inputs, counted once
  std::int64_t parameter_bits = 0;
  std::int64_t activation_bits = 0;  // compute-layer outputs
  [[nodiscard]] std::int64_t total() const { return input_bits + parameter_bits + activation_bits; }
};

LayerBits layer_bits(const Layer& layer, const TotalBitsOptions& options = {});
// AutoQKeras's ForgivingFactorBits model size: Σ layer_bits + inputs × input bits.
TotalBits total_bits(const LayerView& view, const TotalBitsOptions& options = {});

}  // namespace bitlab::hw
