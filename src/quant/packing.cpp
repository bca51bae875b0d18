#include "quant/packing.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace bitlab::quant {
namespace {

bool is_field_width(int bits) { return bits == 1 || bits == 2 || bits == 4 || bits == 8 || bits == 16; }

void check_size(std::size_t actual, std::size_t expected, const char* where) {
  if (actual != expected) {
    throw std::invalid_argument(std::string(where) + ": buffer has " + std::to_string(actual) +
                                " bytes but the packed size is " + std::to_string(expected));
  }
}

}  // namespace

void PackingFormat::validate() const {
  if (!is_field_width(bits)) {
    throw std::invalid_argument("PackingFormat: bits = " + std::to_string(bits) +
                                " is not allowed; must be 1, 2, 4, 8 or 16 (see field_bits_for)");
  }
}

std::int32_t PackingFormat::min_value() const {
  validate();
  return is_signed ? -(std::int32_t{1} << (bits - 1)) : 0;
}

std::int32_t PackingFormat::max_value() const {
  validate();
  return is_signed ? (std::int32_t{1} << (bits - 1)) - 1 : (std::int32_t{1} << bits) - 1;
}

int field_bits_for(int bits) {
  for (const int field : {1, 2, 4, 8, 16}) {
    if (bits >= 1 && bits <= field) return field;
  }
  throw std::invalid_argument("field_bits_for: bits = " + std::to_string(bits) + " must be in [1, 16]");
}

std::size_t packed_size_bytes(std::size_t count, int bits) {
  PackingFormat{bits, false}.validate();
  const auto width = static_cast<std::size_t>(bits);
  return count / 8 * width + (count % 8 * width + 7) / 8;  // no overflow in count * bits
}

void pack_into(std::span<const std::int32_t> values, const PackingFormat& format, std::span<std::uint8_t> out) {
  const std::int32_t lo = format.min_value();  // validates
  const std::int32_t hi = format.max_value();
  check_size(out.size(), packed_size_bytes(values.size(), format.bits), "pack_into");
  std::fill(out.begin(), out.end(), std::uint8_t{0});

  const auto bits = static_cast<std::size_t>(format.bits);
  const std::uint32_t field_mask = (std::uint32_t{1} << bits) - 1u;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::int32_t v = values[i];
    if (v < lo || v > hi) {
      throw std::invalid_argument("pack: values[" + std::to_string(i) + "] = " + std::to_string(v) +
                                  " does not fit a " + (format.is_signed ? "signed " : "unsigned ") +
                                  std::to_string(bits) + "-bit field [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]");
    }
    // Conversion to unsigned is modulo 2^32, so masking leaves the two's complement field.
    const std::uint32_t field = static_cast<std::uint32_t>(v) & field_mask;
    if (bits == 16) {
      out[2 * i] = static_cast<std::uint8_t>(field & 0xFFu);
      out[2 * i + 1] = static_cast<std::uint8_t>(field >> 8);
    } else {
      const std::size_t bit = i * bits;
      out[bit / 8] = static_cast<std::uint8_t>(out[bit / 8] | (field << (bit % 8)));
    }
  }
}

std::vector<std::uint8_t> pack(std::span<const std::int32_t> values, const PackingFormat& format) {
  format.validate();
  std::vector<std::uint8_t> out(packed_size_bytes(values.size(), format.bits));
  pack_into(values, format, out);
  return out;
}

std::vector<std::int32_t> unpack(std::span<const std::uint8_t> bytes, std::size_t count,
                                 const PackingFormat& format) {
  format.validate();
  check_size(bytes.size(), packed_size_bytes(count, format.bits), "unpack");

  const auto bits = static_cast<std::size_t>(format.bits);
  const std::uint32_t field_mask = (std::uint32_t{1} << bits) - 1u;
  const std::uint32_t sign_bit = std::uint32_t{1} << (bits - 1);
  std::vector<std::int32_t> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t field = 0;
    if (bits == 16) {
      field = static_cast<std::uint32_t>(bytes[2 * i]) | (static_cast<std::uint32_t>(bytes[2 * i + 1]) << 8);
    } else {
      const std::size_t bit = i * bits;
      field = (static_cast<std::uint32_t>(bytes[bit / 8]) >> (bit % 8)) & field_mask;
    }
    // Sign-extend: subtracting 2^bits from fields with the top bit set.
    const bool negative = format.is_signed && (field & sign_bit) != 0;
    values[i] = negative ? static_cast<std::int32_t>(field) - (std::int32_t{1} << bits)
                         : static_cast<std::int32_t>(field);
  }
  return values;
}

}  // namespace bitlab::quant
