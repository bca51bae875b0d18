#pragma once
// Every cost model over one layer view, per layer and summed, as one JSON
// document (docs/cost-models.md §8). Models without a description (energy
// table, accelerator, SIMD profile) are left out of the report.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/accelerator.h"
#include "hw/bit_counts.h"
#include "hw/energy.h"
#include "hw/layer_view.h"
#include "hw/memory.h"
#include "hw/simd_latency.h"

namespace bitlab::hw {

struct CostOptions {
  TotalBitsOptions bits = {};
  MemoryOptions memory = {};
  TrainingMemoryOptions training = {};
  std::optional<EnergyTable> energy_table = std::nullopt;
  EnergyOptions energy = {};
  std::optional<AcceleratorOptions> accelerator = std::nullopt;
  std::optional<SimdProfile> simd = std::nullopt;
  SimdLatencyOptions simd_options = {};
};

struct LayerCost {
  std::string name;
  LayerKind kind = LayerKind::Conv2d;
  int weight_bits = 0;
  int input_bits = 0;
  int output_bits = 0;
  std::int64_t macs = 0;
  std::int64_t bops = 0;
  LayerBits bits;
  WeightMemory weight_memory;
};

struct CostReport {
  std::string graph;
  std::vector<LayerCost> layers;
  std::int64_t macs = 0;
  std::int64_t bops = 0;
  TotalBits bits;
  WeightMemory weight_memory;
  ActivationMemory activation_memory;
  TrainingMemory training_memory;
  std::optional<EnergyReport> energy;
  std::optional<AcceleratorReport> accelerator;
  std::optional<SimdReport> simd;
};

CostReport cost_report(const LayerView& view, const CostOptions& options = {});
nlohmann::json to_json(const CostReport& report);

}  // namespace bitlab::hw
