#include "codegen/c_types.h"

#include <cctype>
#include <limits>

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab::codegen {

std::string c_type(const ir::ElementType& type) {
  if (type.is_float()) throw ConfigError("codegen: float tensors cannot be generated; convert the graph first");
  const int bits = type.bits <= 8 ? 8 : type.bits <= 16 ? 16 : type.bits <= 32 ? 32 : 64;
  if (bits > 16) return fmt::format("int{}_t", bits);  // accumulators and biases are signed
  return fmt::format("{}int{}_t", type.is_signed ? "" : "u", bits);
}

std::int64_t c_size(const ir::ElementType& type) {
  return type.bits <= 8 ? 1 : type.bits <= 16 ? 2 : type.bits <= 32 ? 4 : 8;
}

std::string c_literal(std::int64_t value) {
  if (value == std::numeric_limits<std::int64_t>::min()) return "(-INT64_C(9223372036854775807) - 1)";
  if (value > std::numeric_limits<std::int32_t>::max() || value < -std::numeric_limits<std::int32_t>::max()) {
    return fmt::format("INT64_C({})", value);
  }
  return fmt::format("{}", value);
}

std::string c_identifier(const std::string& name) {
  std::string out;
  for (const char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "t_" + out;
  return out;
}

}  // namespace bitlab::codegen
