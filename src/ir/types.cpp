#include "ir/types.h"

#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "ir/error.h"

namespace bitlab::ir {

std::int64_t num_elements(const Shape& shape) {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) {
    if (d < 0) throw GraphError(fmt::format("shape {} has a negative dimension", to_string(shape)));
    n *= d;
  }
  return n;
}

std::string to_string(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

void ElementType::validate() const {
  if (kind == DataKind::Float32) {
    if (bits != 32 || narrow_range) throw GraphError("float32 elements must have bits = 32 and no narrow range");
    return;
  }
  const bool code = bits >= 1 && bits <= kMaxCodeBits;
  if (!code && bits != 32 && bits != 64) {
    throw GraphError(fmt::format("integer elements of {} bits are not allowed; codes have 1..{} bits, "
                                 "biases and accumulators 32 or 64",
                                 bits, kMaxCodeBits));
  }
  if (narrow_range && !code) throw GraphError(fmt::format("narrow_range is only allowed on codes (<= {} bits)", kMaxCodeBits));
  if (narrow_range && bits < 2) throw GraphError("narrow_range needs bits >= 2");
  if (!code && !is_signed) throw GraphError(fmt::format("{}-bit integers must be signed", bits));
}

std::int64_t ElementType::min_value() const {
  validate();
  if (kind == DataKind::Float32) throw GraphError("a float32 type has no integer range");
  if (is_code()) return quant::code_min(bits, is_signed, narrow_range);
  return bits == 32 ? std::numeric_limits<std::int32_t>::min() : std::numeric_limits<std::int64_t>::min();
}

std::int64_t ElementType::max_value() const {
  validate();
  if (kind == DataKind::Float32) throw GraphError("a float32 type has no integer range");
  if (is_code()) return quant::code_max(bits, is_signed, narrow_range);
  return bits == 32 ? std::numeric_limits<std::int32_t>::max() : std::numeric_limits<std::int64_t>::max();
}

std::string to_string(const ElementType& type) {
  if (type.kind == DataKind::Float32) return "float32";
  return fmt::format("{}int{}", type.is_signed ? "" : "u", type.bits);
}

ElementType element_type_from_string(std::string_view text) {
  if (text == "float32") return ElementType::float32();
  const bool is_signed = !text.starts_with("u");
  std::string_view rest = is_signed ? text : text.substr(1);
  int bits = 0;
  const char* end = rest.data() + rest.size();
  if (rest.starts_with("int") && rest.size() > 3) {
    const auto [ptr, ec] = std::from_chars(rest.data() + 3, end, bits);
    if (ec == std::errc() && ptr == end) {
      ElementType type = ElementType::integer(bits, is_signed);
      type.validate();
      return type;
    }
  }
  throw GraphError(fmt::format("element type \"{}\" is unknown; expected float32, intN or uintN "
                               "(N in 1..16, or int32 / int64)",
                               text));
}

bool Quantization::all_zero_points_zero() const {
  for (const std::int32_t z : zero_points)
    if (z != 0) return false;
  return true;
}

bool same_grid(const Quantization& a, const Quantization& b) {
  if (a.scales != b.scales) return false;
  if (a.granularity != b.granularity) return false;
  if (a.granularity == quant::Granularity::PerChannel && a.axis != b.axis) return false;
  for (std::size_t c = 0; c < a.num_channels(); ++c)
    if (a.zero_point(c) != b.zero_point(c)) return false;
  return true;
}

quant::QuantSpec to_quant_spec(const ElementType& type, const Quantization& quantization) {
  if (!type.is_code()) {
    throw GraphError(fmt::format("{} is not a code type (codes are integers of 1..{} bits)", to_string(type),
                                 ElementType::kMaxCodeBits));
  }
  return quant::QuantSpec{.bits = type.bits,
                          .is_signed = type.is_signed,
                          .narrow_range = type.narrow_range,
                          .symmetric = quantization.all_zero_points_zero(),
                          .granularity = quantization.granularity,
                          .axis = quantization.axis,
                          .scale_kind = quant::ScaleKind::Float,
                          .scales = quantization.scales,
                          .zero_points = quantization.zero_points};
}

}  // namespace bitlab::ir
