#pragma once
// Energy per inference from an EnergyTable (docs/cost-models.md §5): the
// arithmetic of every layer plus reading its weights and inputs and writing
// its outputs once each (perfect on-chip reuse, as QKeras's Qtools assumes).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hw/energy_table.h"
#include "hw/layer_view.h"

namespace bitlab::hw {

enum class WidthRule : std::uint8_t {
  // An operation costs the table entry of the smallest width ≥ its operands':
  // a 4-bit multiply costs as much as an 8-bit one. Never extrapolates.
  RoundUp,
  // The same entry scaled to the operand width: adds linearly (bits / W),
  // multiplies quadratically ((bits / W)²), as ripple adders and array
  // multipliers grow. Lets sub-byte precisions differ in energy.
  Scale,
};

struct EnergyOptions {
  WidthRule width_rule = WidthRule::RoundUp;
  int accumulator_bits = 32;  // MAC accumulation and pooling sums (docs/integer-spec.md §13)
  int requant_bits = 32;      // one multiply per requantised output (conv, linear, add, avgpool)
  int bias_bits = 32;
  bool weights_in_dram = false;      // else read from on-chip SRAM
  bool activations_in_dram = false;
};

struct LayerEnergy {
  std::string layer;
  double compute_pj = 0.0;
  double weight_memory_pj = 0.0;
  double activation_memory_pj = 0.0;
  [[nodiscard]] double total_pj() const { return compute_pj + weight_memory_pj + activation_memory_pj; }
};

struct EnergyReport {
  std::vector<LayerEnergy> layers;
  double compute_pj = 0.0;
  double weight_memory_pj = 0.0;
  double activation_memory_pj = 0.0;
  [[nodiscard]] double total_pj() const { return compute_pj + weight_memory_pj + activation_memory_pj; }
};

// Energy of one operation on `bits`-wide operands; throws std::invalid_argument
// when `bits` exceeds the widest entry of `widths` (named `what` in the message).
double operation_energy(const std::map<int, double>& widths, int bits, WidthRule rule, bool quadratic,
                        const std::string& what);

LayerEnergy layer_energy(const Layer& layer, const EnergyTable& table, const EnergyOptions& options = {});
EnergyReport energy(const LayerView& view, const EnergyTable& table, const EnergyOptions& options = {});

}  // namespace bitlab::hw
