#pragma once
// Measured latency tables (docs/cost-models.md §11): the host runtime's time
// for every layer of a network at every profiled (weight bits, activation
// bits) pair, stored as JSON and looked up by the cost models in place of an
// analytical latency model. Written by `bitlab hw profile` (latency_profiler.h).
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/layer_view.h"

namespace bitlab::hw {

struct MeasuredLatency {
  std::string layer;  // IR node name
  int weight_bits = 0;      // 0 for layers without weights
  int activation_bits = 8;  // the layer's input (MAC operand) width; its output is stored at the same width
  double seconds = 0.0;     // per sample: the best of the profiler's repeats, divided by the batch
};

class MeasuredLatencyTable {
 public:
  std::string network;   // graph name
  std::string executor;  // "fast" or "reference"
  std::string host;      // free text: CPU / ISA
  int repeats = 0;
  std::string source = "<table>";  // file name, for error messages

  void add(const MeasuredLatency& entry);  // replaces an entry with the same key
  [[nodiscard]] const std::vector<MeasuredLatency>& entries() const { return entries_; }
  [[nodiscard]] bool contains(const std::string& layer, int weight_bits, int activation_bits) const;
  // Throws ConfigError naming the table, the layer and the pairs it does hold,
  // and the fix (profile those widths), when the entry is missing.
  [[nodiscard]] double seconds(const std::string& layer, int weight_bits, int activation_bits) const;
  // Per sample, summed over the view's profiled kinds (conv, depthwise, linear,
  // pools) at each layer's weight and input bits; adds are not profiled and
  // count 0 (see docs). Throws like seconds() for any missing entry.
  [[nodiscard]] double network_seconds(const LayerView& view) const;

 private:
  std::vector<MeasuredLatency> entries_;
  std::map<std::tuple<std::string, int, int>, std::size_t> index_;
};

bool is_profiled(LayerKind kind);

nlohmann::json to_json(const MeasuredLatencyTable& table);
MeasuredLatencyTable latency_table_from_json(const nlohmann::json& json, const std::string& source);
// Atomic write; IoError on failure.
void save_latency_table(const MeasuredLatencyTable& table, const std::filesystem::path& path);
// ConfigError (file, JSON Pointer) for a malformed table, IoError-like ConfigError for a missing file.
MeasuredLatencyTable load_latency_table(const std::filesystem::path& path);

}  // namespace bitlab::hw
