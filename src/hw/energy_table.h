#pragma once
// Energy of one arithmetic operation by operand width and of moving one bit
// from on-chip SRAM or off-chip DRAM (docs/cost-models.md §5). The built-in
// table holds Horowitz's 45 nm figures; a JSON file can replace it.
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace bitlab::hw {

struct EnergyTable {
  std::string name = "horowitz-45nm";
  std::string source;  // where the numbers come from, for reports
  // Operand width in bits -> picojoules per operation.
  std::map<int, double> int_add_pj;
  std::map<int, double> int_mul_pj;
  std::map<int, double> float_add_pj;
  std::map<int, double> float_mul_pj;
  double sram_pj_per_bit = 0.0;
  double dram_pj_per_bit = 0.0;

  bool operator==(const EnergyTable&) const = default;
};

// M. Horowitz, "Computing's energy problem (and what we can do about it)",
// ISSCC 2014, 45 nm at 0.9 V; docs/cost-models.md §5 lists each entry's origin.
EnergyTable horowitz_45nm();

// Strict: every key required except name and source, no unknown keys, widths
// as integer keys in [1, 64], energies finite and ≥ 0; a mistake is a
// ConfigError naming `source_name`, the JSON Pointer and what was expected.
EnergyTable parse_energy_table(const nlohmann::json& json, const std::string& source_name);
EnergyTable load_energy_table(const std::filesystem::path& path);
nlohmann::json to_json(const EnergyTable& table);

}  // namespace bitlab::hw
