#include "hw/simd_profile.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"
#include "hw/json_widths.h"

namespace bitlab::hw {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr double kMaxCyclesPerByte = 1e6;

double required_number(const JsonReader& reader, const std::string& key, double min, double max) {
  if (!reader.has(key)) reader.fail(key, fmt::format("a number in [{}, {}]", min, max));
  return reader.number(key, min, min, max);
}

}  // namespace

void SimdProfile::validate() const {
  auto fail = [&](const std::string& what) { throw std::invalid_argument(fmt::format("SIMD profile \"{}\": {}", name, what)); };
  if (cores < 1) fail(fmt::format("cores = {} must be ≥ 1", cores));
  if (!(frequency_hz > 0.0) || !std::isfinite(frequency_hz)) fail("frequency must be positive");
  if (macs_per_cycle.empty()) fail("macs_per_cycle needs at least one operand width");
  for (const auto& [bits, macs] : macs_per_cycle)
    if (bits < 1 || !(macs > 0.0)) fail(fmt::format("macs_per_cycle[{}] = {} must be positive", bits, macs));
  if (!(unpack_cycles_per_element >= 0.0)) fail("unpack_cycles_per_element must be ≥ 0");
  if (!(scalar_ops_per_cycle > 0.0)) fail("scalar_ops_per_cycle must be positive");
  if (memory.l1_bytes < 1 || memory.l2_bytes < 1) fail("L1 and L2 sizes must be positive");
  if (!(memory.l2_to_l1_cycles_per_byte >= 0.0) || !(memory.l3_to_l2_cycles_per_byte >= 0.0)) {
    fail("transfer costs must be ≥ 0");
  }
}

SimdProfile int8_simd_profile(int cores) {
  SimdProfile p;
  p.name = "int8-simd";
  p.cores = cores;
  p.macs_per_cycle = {{8, 4.0}, {16, 2.0}};
  return p;
}

SimdProfile subbyte_simd_profile(int cores) {
  SimdProfile p;
  p.name = "subbyte-simd";
  p.cores = cores;
  p.macs_per_cycle = {{2, 16.0}, {4, 8.0}, {8, 4.0}};
  return p;
}

SimdProfile parse_simd_profile(const nlohmann::json& json, const std::string& source_name) {
  if (!json.is_object()) {
    throw ConfigError(fmt::format("{}: a SIMD profile must be a JSON object, got {}", source_name, describe_json(json)));
  }
  const JsonReader reader(json, source_name);
  SimdProfile p;
  p.name = reader.string("name", std::filesystem::path(source_name).stem().string());
  p.cores = static_cast<int>(reader.required_integer("cores", 1, 1024));
  p.frequency_hz = required_number(reader, "frequency_mhz", 1e-3, 1e6) * 1e6;
  p.macs_per_cycle = read_width_table(reader, "macs_per_cycle",
                                      {.max_width = 32, .min_value = 1e-9, .max_value = 1e6,
                                       .example = "{\"8\": 4}", .meaning = "MACs per cycle per core"});
  p.unpack_cycles_per_element = required_number(reader, "unpack_cycles_per_element", 0.0, 1e6);
  p.scalar_ops_per_cycle = required_number(reader, "scalar_ops_per_cycle", 1e-9, 1e6);
  const JsonReader memory = reader.object("memory");
  p.memory.l1_bytes = memory.required_integer("l1_kib", 1, 1024 * 1024) * kKiB;
  p.memory.l2_bytes = memory.required_integer("l2_kib", 1, 1024 * 1024) * kKiB;
  p.memory.l2_to_l1_cycles_per_byte = required_number(memory, "l2_to_l1_cycles_per_byte", 0.0, kMaxCyclesPerByte);
  p.memory.l3_to_l2_cycles_per_byte = required_number(memory, "l3_to_l2_cycles_per_byte", 0.0, kMaxCyclesPerByte);
  memory.finish();
  reader.finish();
  return p;
}

SimdProfile load_simd_profile(const std::filesystem::path& path) {
  return parse_simd_profile(JsonReader::parse_file(path), path.string());
}

nlohmann::json to_json(const SimdProfile& profile) {
  nlohmann::json macs = nlohmann::json::object();
  for (const auto& [bits, m] : profile.macs_per_cycle) macs[std::to_string(bits)] = m;
  return {{"name", profile.name},
          {"cores", profile.cores},
          {"frequency_mhz", profile.frequency_hz / 1e6},
          {"macs_per_cycle", macs},
          {"unpack_cycles_per_element", profile.unpack_cycles_per_element},
          {"scalar_ops_per_cycle", profile.scalar_ops_per_cycle},
          {"memory",
           {{"l1_kib", profile.memory.l1_bytes / kKiB},
            {"l2_kib", profile.memory.l2_bytes / kKiB},
            {"l2_to_l1_cycles_per_byte", profile.memory.l2_to_l1_cycles_per_byte},
            {"l3_to_l2_cycles_per_byte", profile.memory.l3_to_l2_cycles_per_byte}}}};
}

}  // namespace bitlab::hw
