#pragma once
// A cluster of SIMD microcontroller cores (PULP-style) and its memories
// (docs/cost-models.md §7). Two built-in ISA profiles; others load from JSON.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace bitlab::hw {

struct MemoryHierarchy {
  std::int64_t l1_bytes = 64 * 1024;   // cluster scratchpad the cores compute from
  std::int64_t l2_bytes = 512 * 1024;  // on-chip memory
  // DMA cost of moving one byte L2 -> L1 and off-chip L3 -> L2, in core cycles.
  double l2_to_l1_cycles_per_byte = 0.125;
  double l3_to_l2_cycles_per_byte = 1.0;
  bool operator==(const MemoryHierarchy&) const = default;
};

struct SimdProfile {
  std::string name;
  int cores = 8;
  double frequency_hz = 100e6;
  // Operand width the SIMD dot product runs at -> MACs per cycle per core.
  // Both operands are brought to one width; a narrower operand is unpacked.
  std::map<int, double> macs_per_cycle;
  // Cycles to unpack one operand element to the compute width (shift, mask,
  // sign-extend, e.g. PULP's p.extract), per core.
  double unpack_cycles_per_element = 1.0;
  // Adds, compares and requantisations outside the dot products, per core and cycle.
  double scalar_ops_per_cycle = 1.0;
  MemoryHierarchy memory = {};

  // Throws std::invalid_argument naming the field when a value is out of range.
  void validate() const;
  bool operator==(const SimdProfile&) const = default;
};

// 8-bit-only packed SIMD (XpulpV2 / Arm DSP-extension style): 4 MACs per
// cycle per core at 8 bits (sdotp on 4 × 8-bit lanes), 2 at 16 bits;
// sub-byte operands are unpacked to 8 bits.
SimdProfile int8_simd_profile(int cores = 8);
// Sub-byte SIMD on equal operand precisions (XpulpNN, Garofalo et al. 2020):
// 16 / 8 / 4 MACs per cycle per core at 2 / 4 / 8 bits.
SimdProfile subbyte_simd_profile(int cores = 8);

// Strict JSON: every key required except "name"; unknown keys, wrong types
// and out-of-range values are ConfigErrors naming `source_name` and the JSON
// Pointer. Format in docs/cost-models.md §7.
SimdProfile parse_simd_profile(const nlohmann::json& json, const std::string& source_name);
SimdProfile load_simd_profile(const std::filesystem::path& path);
nlohmann::json to_json(const SimdProfile& profile);

}  // namespace bitlab::hw
