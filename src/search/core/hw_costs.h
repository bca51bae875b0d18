#pragma once
// The hw cost models as a search CostModel: every cost of hw::cost_report
// flattened to named scalars (docs/search.md §3 lists the names).
#include <map>
#include <optional>
#include <string>

#include "hw/cost_report.h"
#include "hw/latency_table.h"
#include "ir/graph.h"
#include "search/core/evaluator.h"

namespace bitlab::search {

// "macs", "bops", "total_bits", "parameter_bits", "activation_bits",
// "weight_bytes" (packed weights + biases), "activation_bytes" (the planner's arena),
// "training_bytes", and where the options describe them "energy_pj",
// "accelerator_latency", "simd_cycles"; HwCostModel adds "measured_seconds"
// from a measured latency table (`bitlab hw profile`) when given one.
std::map<std::string, double> flatten_costs(const hw::CostReport& report);

class HwCostModel : public CostModel {
 public:
  // `graph` must have its shapes set (ir::infer_shapes).
  HwCostModel(ir::Graph graph, hw::CostOptions options,
              std::optional<hw::MeasuredLatencyTable> measured = std::nullopt)
      : graph_(std::move(graph)), options_(std::move(options)), measured_(std::move(measured)) {}
  std::map<std::string, double> costs(const hw::PrecisionAssignment& assignment) override;

 private:
  ir::Graph graph_;
  hw::CostOptions options_;
  std::optional<hw::MeasuredLatencyTable> measured_;
};

}  // namespace bitlab::search
