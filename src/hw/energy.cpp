#include "hw/energy.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "hw/memory.h"

namespace bitlab::hw {
namespace {

// Operands wider than 16 bits only occur unquantised in a float graph.
constexpr int kWidestIntegerOperand = 16;
constexpr int kFloatBits = 32;

double int_add(const EnergyTable& t, int bits, const EnergyOptions& o) {
  return operation_energy(t.int_add_pj, bits, o.width_rule, false, "integer add");
}
double int_mul(const EnergyTable& t, int bits, const EnergyOptions& o) {
  return operation_energy(t.int_mul_pj, bits, o.width_rule, true, "integer multiply");
}
double float_add(const EnergyTable& t) { return operation_energy(t.float_add_pj, kFloatBits, WidthRule::RoundUp, false, "float add"); }
double float_mul(const EnergyTable& t) { return operation_energy(t.float_mul_pj, kFloatBits, WidthRule::RoundUp, true, "float multiply"); }

}  // namespace

double operation_energy(const std::map<int, double>& widths, int bits, WidthRule rule, bool quadratic,
                        const std::string& what) {
  const auto entry = widths.lower_bound(bits);
  if (bits < 1 || entry == widths.end()) {
    throw std::invalid_argument(fmt::format("the energy table has no {} entry for {}-bit operands (widest: {})", what, bits,
                                            widths.empty() ? 0 : widths.rbegin()->first));
  }
  if (rule == WidthRule::RoundUp) return entry->second;
  const double ratio = static_cast<double>(bits) / entry->first;
  return entry->second * (quadratic ? ratio * ratio : ratio);
}

LayerEnergy layer_energy(const Layer& layer, const EnergyTable& table, const EnergyOptions& options) {
  LayerEnergy e;
  e.layer = layer.name;
  const bool is_float = layer.input_bits > kWidestIntegerOperand || layer.weight_bits > kWidestIntegerOperand;
  const auto macs = static_cast<double>(layer.macs);
  const auto adds = static_cast<double>(layer.adds);
  const auto compares = static_cast<double>(layer.compares);
  if (is_float) {
    e.compute_pj = macs * (float_mul(table) + float_add(table)) + (adds + compares) * float_add(table);
  } else {
    const int operand_bits = std::max(layer.weight_bits, layer.input_bits);
    e.compute_pj = macs * (int_mul(table, operand_bits, options) + int_add(table, options.accumulator_bits, options)) +
                   adds * int_add(table, options.accumulator_bits, options) +
                   compares * int_add(table, layer.input_bits, options);
    if (layer.kind != LayerKind::MaxPool) {
      e.compute_pj += static_cast<double>(layer.output_elements) * int_mul(table, options.requant_bits, options);
    }
  }
  const double weight_bits = has_weights(layer.kind)
                                 ? static_cast<double>(layer.weight_elements) * storage_bits(layer.weight_bits) +
                                       static_cast<double>(layer.bias_elements) * options.bias_bits
                                 : 0.0;
  const double activation_bits = static_cast<double>(layer.input_elements) * storage_bits(layer.input_bits) +
                                 static_cast<double>(layer.output_elements) * storage_bits(layer.output_bits);
  e.weight_memory_pj = weight_bits * (options.weights_in_dram ? table.dram_pj_per_bit : table.sram_pj_per_bit);
  e.activation_memory_pj = activation_bits * (options.activations_in_dram ? table.dram_pj_per_bit : table.sram_pj_per_bit);
  return e;
}

EnergyReport energy(const LayerView& view, const EnergyTable& table, const EnergyOptions& options) {
  EnergyReport report;
  for (const Layer& layer : view.layers) {
    LayerEnergy e = layer_energy(layer, table, options);
    report.compute_pj += e.compute_pj;
    report.weight_memory_pj += e.weight_memory_pj;
    report.activation_memory_pj += e.activation_memory_pj;
    report.layers.push_back(std::move(e));
  }
  return report;
}

}  // namespace bitlab::hw
