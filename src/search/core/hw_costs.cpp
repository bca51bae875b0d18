#include "search/core/hw_costs.h"

#include "hw/layer_view.h"

namespace bitlab::search {

std::map<std::string, double> flatten_costs(const hw::CostReport& report) {
  std::map<std::string, double> costs{
      {"macs", static_cast<double>(report.macs)},
      {"bops", static_cast<double>(report.bops)},
      {"total_bits", static_cast<double>(report.bits.total())},
      {"parameter_bits", static_cast<double>(report.bits.parameter_bits)},
      {"activation_bits", static_cast<double>(report.bits.activation_bits)},
      {"weight_bytes", static_cast<double>(report.weight_memory.total())},
      {"activation_bytes", static_cast<double>(report.activation_memory.total_bytes)},
      {"training_bytes", static_cast<double>(report.training_memory.total())},
  };
  if (report.energy) costs["energy_pj"] = report.energy->total_pj();
  if (report.accelerator) costs["accelerator_latency"] = report.accelerator->latency;
  if (report.simd) costs["simd_cycles"] = report.simd->cycles;
  return costs;
}

std::map<std::string, double> HwCostModel::costs(const hw::PrecisionAssignment& assignment) {
  const hw::LayerView view = hw::extract_layers(graph_, assignment);
  auto costs = flatten_costs(hw::cost_report(view, options_));
  if (measured_) costs["measured_seconds"] = measured_->network_seconds(view);
  return costs;
}

}  // namespace bitlab::search
