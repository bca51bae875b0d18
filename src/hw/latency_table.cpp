#include "hw/latency_table.h"

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json_reader.h"

namespace bitlab::hw {
namespace {

constexpr const char* kFormat = "bitlab-latency-table";
constexpr int kVersion = 1;

std::string pairs_of(const std::vector<MeasuredLatency>& entries, const std::string& layer) {
  std::string out;
  for (const MeasuredLatency& e : entries) {
    if (e.layer != layer) continue;
    out += fmt::format("{}w{}a{}", out.empty() ? "" : ", ", e.weight_bits, e.activation_bits);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

bool is_profiled(LayerKind kind) { return kind != LayerKind::Add; }

void MeasuredLatencyTable::add(const MeasuredLatency& entry) {
  const auto key = std::make_tuple(entry.layer, entry.weight_bits, entry.activation_bits);
  if (const auto it = index_.find(key); it != index_.end()) {
    entries_[it->second] = entry;
    return;
  }
  index_.emplace(key, entries_.size());
  entries_.push_back(entry);
}

bool MeasuredLatencyTable::contains(const std::string& layer, int weight_bits, int activation_bits) const {
  return index_.count(std::make_tuple(layer, weight_bits, activation_bits)) > 0;
}

double MeasuredLatencyTable::seconds(const std::string& layer, int weight_bits, int activation_bits) const {
  const auto it = index_.find(std::make_tuple(layer, weight_bits, activation_bits));
  if (it == index_.end()) {
    throw ConfigError(fmt::format(
        "{}: no measured latency for layer \"{}\" at w{}a{} (the table holds: {}); profile those widths with "
        "`bitlab hw profile NET --weight-bits {} --activation-bits {}` or cost with an analytical model",
        source, layer, weight_bits, activation_bits, pairs_of(entries_, layer), weight_bits, activation_bits));
  }
  return entries_[it->second].seconds;
}

double MeasuredLatencyTable::network_seconds(const LayerView& view) const {
  double total = 0.0;
  for (const Layer& l : view.layers) {
    if (is_profiled(l.kind)) total += seconds(l.name, l.weight_bits, l.input_bits);
  }
  return total;
}

nlohmann::json to_json(const MeasuredLatencyTable& table) {
  nlohmann::json entries = nlohmann::json::array();
  for (const MeasuredLatency& e : table.entries()) {
    entries.push_back({{"layer", e.layer},
                       {"weight_bits", e.weight_bits},
                       {"activation_bits", e.activation_bits},
                       {"seconds", e.seconds}});
  }
  return {{"format", kFormat},   {"version", kVersion}, {"network", table.network}, {"executor", table.executor},
          {"host", table.host}, {"repeats", table.repeats}, {"entries", entries}};
}

MeasuredLatencyTable latency_table_from_json(const nlohmann::json& json, const std::string& source) {
  JsonReader r(json, source);
  if (r.required_string("format") != kFormat) r.fail("format", fmt::format("\"{}\"", kFormat));
  (void)r.integer("version", kVersion, kVersion, kVersion);
  MeasuredLatencyTable t;
  t.source = source;
  t.network = r.string("network", "");
  t.executor = r.string("executor", "");
  t.host = r.string("host", "");
  t.repeats = static_cast<int>(r.integer("repeats", 0, 0, 1 << 30));
  const nlohmann::json* entries = r.raw("entries");
  if (!entries || !entries->is_array()) r.fail("entries", "an array of {layer, weight_bits, activation_bits, seconds}");
  for (std::size_t i = 0; i < entries->size(); ++i) {
    JsonReader e((*entries)[i], source, fmt::format("/entries/{}", i));
    MeasuredLatency m;
    m.layer = e.required_string("layer");
    m.weight_bits = static_cast<int>(e.required_integer("weight_bits", 0, 32));
    m.activation_bits = static_cast<int>(e.required_integer("activation_bits", 1, 32));
    m.seconds = e.number("seconds", -1.0, 0.0, 1e9);
    if (m.seconds < 0.0) e.fail("seconds", "a time in seconds >= 0");
    e.finish();
    t.add(m);
  }
  r.finish();
  return t;
}

void save_latency_table(const MeasuredLatencyTable& table, const std::filesystem::path& path) {
  write_file_atomically(path, to_json(table).dump(2) + "\n");
}

MeasuredLatencyTable load_latency_table(const std::filesystem::path& path) {
  return latency_table_from_json(JsonReader::parse_file(path), path.string());
}

}  // namespace bitlab::hw
