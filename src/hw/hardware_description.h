#pragma once
// HW.json: which hardware `bitlab cost` models and how (docs/cost-models.md
// §12). Every part has a built-in default, so `{}` (or no file) costs the
// network on the default accelerator, the 8-core sub-byte SIMD cluster and
// the Horowitz 45 nm energy table.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/cost_report.h"
#include "hw/latency_table.h"

namespace bitlab::hw {

struct HardwareDescription {
  CostOptions cost;  // energy table, accelerator, SIMD profile and their options
  std::optional<std::filesystem::path> latency_table;  // measured latencies (`bitlab hw profile`)
};

// Defaults: horowitz_45nm, AcceleratorOptions{}, subbyte_simd_profile(8).
HardwareDescription default_hardware();
// Strict JSON (unknown keys are ConfigErrors naming the file and JSON Pointer).
// A relative latency_table path is taken relative to the file's folder.
HardwareDescription parse_hardware(const nlohmann::json& json, const std::string& source,
                                   const std::filesystem::path& base_dir = {});
HardwareDescription load_hardware(const std::filesystem::path& path);

// cost_report with every model of `options`; a model that cannot run the
// network's widths (std::invalid_argument: the accelerator above 16 bits, the
// SIMD cluster above its widest width) is left out and its reason appended to
// `skipped` ("simd: ...") instead of failing the whole report.
CostReport cost_report_skipping(const LayerView& view, const CostOptions& options, std::vector<std::string>& skipped);

// The per-layer text table of `bitlab cost` (MACs, BOPs, bits, memory, energy,
// latency per model) and the totals; `measured` adds a column of host seconds.
std::string format_cost_table(const CostReport& report, const LayerView& view, const MeasuredLatencyTable* measured,
                              const std::vector<std::string>& skipped);

}  // namespace bitlab::hw
