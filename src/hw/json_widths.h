#pragma once
// Reads the width-keyed tables of the cost-model JSON files, e.g.
// "int_mul_pj": {"8": 0.2, "32": 3.1}, with JsonReader's strict messages.
#include <map>
#include <string>

#include "common/json_reader.h"

namespace bitlab::hw {

struct WidthTableLimits {
  int max_width = 64;  // keys are integers in [1, max_width]
  double min_value = 0.0;
  double max_value = 1e12;
  std::string example;  // shown when the table is missing or empty, e.g. {"8": 0.2}
  std::string meaning;  // what the values are, e.g. "picojoules"
};

// The required, non-empty object `key` of `parent`; throws ConfigError naming
// the file and the JSON Pointer for a missing table, a key that is not a width,
// or a value that is not a number in [min_value, max_value].
std::map<int, double> read_width_table(const JsonReader& parent, const std::string& key, const WidthTableLimits& limits);

}  // namespace bitlab::hw
