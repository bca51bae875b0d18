#include "hw/json_widths.h"

#include <charconv>

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab::hw {

std::map<int, double> read_width_table(const JsonReader& parent, const std::string& key, const WidthTableLimits& limits) {
  const std::string expectation = fmt::format("an object mapping operand widths in bits to {}, e.g. {}", limits.meaning, limits.example);
  if (!parent.has(key)) parent.fail(key, expectation);
  const nlohmann::json& json = *parent.raw(key);
  if (!json.is_object() || json.empty()) parent.fail(key, expectation);
  const JsonReader table = parent.object(key);
  std::map<int, double> out;
  for (const auto& [width_text, value] : json.items()) {
    int width = 0;
    const char* const last = width_text.data() + width_text.size();
    const auto [end, error] = std::from_chars(width_text.data(), last, width);
    if (error != std::errc() || end != last || width < 1 || width > limits.max_width) {
      throw ConfigError(fmt::format("{}: {}: \"{}\" is not an operand width; keys are widths in bits, integers in [1, {}]",
                                    table.file(), table.pointer_of(width_text), width_text, limits.max_width));
    }
    out[width] = table.number(width_text, limits.min_value, limits.min_value, limits.max_value);
  }
  table.finish();
  return out;
}

}  // namespace bitlab::hw
