#pragma once
// The cost model of `bitlab search` (docs/search.md §7): the network of the
// evaluator's job, built from the float checkpoint, quantised, calibrated on a
// few training images and traced into the IR; search/core's HwCostModel then
// costs every candidate's widths on that graph without training.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "search/core/hw_costs.h"
#include "search/qat_evaluator.h"

namespace bitlab::search {

// The config's "costs" section: {"energy": bool (Horowitz 45 nm → energy_pj),
// "accelerator": bool (accelerator_latency), "simd": bool (simd_cycles),
// "measured_latency": path of a `bitlab hw profile` table (measured_seconds)}.
struct TracedCostOptions {
  hw::CostOptions hw;
  std::optional<hw::MeasuredLatencyTable> measured;
};
TracedCostOptions parse_cost_options(const nlohmann::json& section, const std::string& source);

// The traced graph of the evaluator's network (widths: the all-lowest candidate;
// HwCostModel replaces them per candidate).
ir::Graph trace_search_network(const QatEvaluatorOptions& evaluator, const SearchSpace& space);

std::unique_ptr<HwCostModel> make_traced_cost_model(const QatEvaluatorOptions& evaluator, const SearchSpace& space,
                                                    TracedCostOptions options);

}  // namespace bitlab::search
