#pragma once
// Latency of a network on a SIMD microcontroller cluster (docs/cost-models.md
// §7): dot-product cycles at the compute width, unpacking of the narrower
// operand, scalar work, and DMA transfers set by where weights and
// activations are placed (L2 when they fit, else streamed from L3 per layer).
#include <cstdint>
#include <string>
#include <vector>

#include "hw/layer_view.h"
#include "hw/memory.h"
#include "hw/simd_profile.h"

namespace bitlab::hw {

struct SimdLatencyOptions {
  MemoryOptions memory = {};  // bias width and the activation planner
  // True: a layer takes max(compute, transfers) (DMA double-buffering hides
  // transfers); false: their sum (no overlap), the conservative default.
  bool overlap_transfers = false;
};

struct SimdPlacement {
  std::int64_t weight_bytes = 0;      // packed weights and biases
  std::int64_t activation_bytes = 0;  // the planner's arena
  bool activations_in_l2 = false;     // arena ≤ L2 (placed first: every layer reads and writes them)
  bool weights_in_l2 = false;         // weights ≤ what L2 has left
};

struct SimdLayerCost {
  std::string layer;
  int compute_bits = 0;  // SIMD width the dot products run at; 0 without MACs
  std::int64_t unpacked_elements = 0;
  double mac_cycles = 0.0;
  double unpack_cycles = 0.0;
  double scalar_cycles = 0.0;
  double l2_to_l1_cycles = 0.0;
  double l3_to_l2_cycles = 0.0;
  bool fits_l1 = true;  // weights + inputs + outputs fit L1 at once (else the layer is tiled)
  double cycles = 0.0;  // the layer's total
};

struct SimdReport {
  std::string profile;
  SimdPlacement placement;
  std::vector<SimdLayerCost> layers;
  double cycles = 0.0;
  double seconds = 0.0;
};

// Smallest width of the profile ≥ both operands' storage widths (3 -> 4);
// throws std::invalid_argument when the profile has none that wide.
int simd_compute_bits(const SimdProfile& profile, int weight_bits, int activation_bits);

SimdPlacement place(const LayerView& view, const SimdProfile& profile, const MemoryOptions& options = {});
SimdLayerCost simd_layer_cost(const Layer& layer, const SimdProfile& profile, const SimdPlacement& placement,
                              const SimdLatencyOptions& options = {});
SimdReport simd_latency(const LayerView& view, const SimdProfile& profile, const SimdLatencyOptions& options = {});

}  // namespace bitlab::hw
