#include "hw/energy_table.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"
#include "hw/json_widths.h"

namespace bitlab::hw {
namespace {

constexpr double kMaxPicojoules = 1e12;

std::map<int, double> read_pj_table(const JsonReader& parent, const std::string& key) {
  return read_width_table(parent, key, {.max_width = 64, .min_value = 0.0, .max_value = kMaxPicojoules,
                                        .example = "{\"8\": 0.2, \"32\": 3.1}", .meaning = "picojoules per operation"});
}

double read_required_number(const JsonReader& reader, const std::string& key) {
  if (!reader.has(key)) reader.fail(key, fmt::format("a number in [0, {}]", kMaxPicojoules));
  return reader.number(key, 0.0, 0.0, kMaxPicojoules);
}

}  // namespace

EnergyTable horowitz_45nm() {
  EnergyTable t;
  t.name = "horowitz-45nm";
  t.source = "M. Horowitz, Computing's energy problem (and what we can do about it), ISSCC 2014; 45 nm, 0.9 V";
  // 8- and 32-bit entries are Horowitz's; the 16-bit integer entries are not in
  // his table and are scaled from the 32-bit ones (adder energy ∝ width,
  // multiplier energy ∝ width²): 0.1 · 16/32 and 3.1 · (16/32)².
  t.int_add_pj = {{8, 0.03}, {16, 0.05}, {32, 0.1}};
  t.int_mul_pj = {{8, 0.2}, {16, 0.775}, {32, 3.1}};
  t.float_add_pj = {{16, 0.4}, {32, 0.9}};
  t.float_mul_pj = {{16, 1.1}, {32, 3.7}};
  // A 64-bit read from a 32 KB cache costs 20 pJ; from DRAM 1.3–2.6 nJ (the low end).
  t.sram_pj_per_bit = 20.0 / 64.0;
  t.dram_pj_per_bit = 1300.0 / 64.0;
  return t;
}

EnergyTable parse_energy_table(const nlohmann::json& json, const std::string& source_name) {
  if (!json.is_object()) {
    throw ConfigError(fmt::format("{}: the energy table must be a JSON object, got {}", source_name, describe_json(json)));
  }
  const JsonReader reader(json, source_name);
  EnergyTable t;
  t.name = reader.string("name", std::filesystem::path(source_name).stem().string());
  t.source = reader.string("source", "");
  t.int_add_pj = read_pj_table(reader, "int_add_pj");
  t.int_mul_pj = read_pj_table(reader, "int_mul_pj");
  t.float_add_pj = read_pj_table(reader, "float_add_pj");
  t.float_mul_pj = read_pj_table(reader, "float_mul_pj");
  t.sram_pj_per_bit = read_required_number(reader, "sram_pj_per_bit");
  t.dram_pj_per_bit = read_required_number(reader, "dram_pj_per_bit");
  reader.finish();
  return t;
}

EnergyTable load_energy_table(const std::filesystem::path& path) {
  return parse_energy_table(JsonReader::parse_file(path), path.string());
}

nlohmann::json to_json(const EnergyTable& table) {
  auto widths = [](const std::map<int, double>& m) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [bits, pj] : m) j[std::to_string(bits)] = pj;
    return j;
  };
  return {{"name", table.name},
          {"source", table.source},
          {"int_add_pj", widths(table.int_add_pj)},
          {"int_mul_pj", widths(table.int_mul_pj)},
          {"float_add_pj", widths(table.float_add_pj)},
          {"float_mul_pj", widths(table.float_mul_pj)},
          {"sram_pj_per_bit", table.sram_pj_per_bit},
          {"dram_pj_per_bit", table.dram_pj_per_bit}};
}

}  // namespace bitlab::hw
