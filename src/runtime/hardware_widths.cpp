#include "runtime/hardware_widths.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace bitlab::runtime {

std::string_view to_string(Overflow overflow) { return overflow == Overflow::Wrap ? "wrap" : "saturate"; }

Overflow overflow_from_string(std::string_view text) {
  if (text == "saturate") return Overflow::Saturate;
  if (text == "wrap") return Overflow::Wrap;
  throw std::invalid_argument(fmt::format("overflow \"{}\": expected \"saturate\" or \"wrap\"", text));
}

void HardwareWidths::validate() const {
  if (accumulator_bits < 2 || accumulator_bits > kMaxAccumulatorBits) {
    throw std::invalid_argument(
        fmt::format("hardware widths: accumulator_bits {} is out of range; use 2 to {}", accumulator_bits, kMaxAccumulatorBits));
  }
  if ((scale_bits == 0) != (inverse_scale_bits == 0)) {
    throw std::invalid_argument(fmt::format(
        "hardware widths: scale_bits ({}) and inverse_scale_bits ({}) must both be 0 (keep the stored multipliers) "
        "or both be set",
        scale_bits, inverse_scale_bits));
  }
  for (const auto& [name, bits] : {std::pair<const char*, int>{"scale_bits", scale_bits}, {"inverse_scale_bits", inverse_scale_bits}}) {
    if (bits < 0 || bits > kMaxScaleBits) {
      throw std::invalid_argument(fmt::format("hardware widths: {} {} is out of range; use 1 to {} (0 for both: stored multipliers)",
                                              name, bits, kMaxScaleBits));
    }
  }
}

std::string HardwareWidths::describe() const {
  std::string text = fmt::format("acc{}", accumulator_bits);
  if (splits_multiplier()) text += fmt::format(" scale{} inv{}", scale_bits, inverse_scale_bits);
  return text + " " + std::string(to_string(overflow));
}

std::int64_t narrow_to(std::int64_t value, int bits, Overflow overflow) {
  if (bits < 2 || bits > 64) throw std::invalid_argument(fmt::format("narrow_to: {} bits is out of range 2..64", bits));
  if (bits == 64) return value;
  const std::int64_t hi = (std::int64_t{1} << (bits - 1)) - 1;
  const std::int64_t lo = -hi - 1;
  if (overflow == Overflow::Saturate) return std::min(std::max(value, lo), hi);
  // Two's complement modulo 2^bits, then sign-extend the top kept bit.
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  const std::uint64_t low = static_cast<std::uint64_t>(value) & mask;
  // low − 2^bits in uint64 is the two's-complement pattern of the negative value (C++20 converts modulo 2^64).
  return static_cast<std::int64_t>(low > static_cast<std::uint64_t>(hi) ? low - (std::uint64_t{1} << bits) : low);
}

FixedPointFactor truncate_to_bits(double value, int bits) {
  if (!(value > 0.0) || !std::isfinite(value)) {
    throw std::invalid_argument(fmt::format("truncate_to_bits: {} is not a positive finite scale", value));
  }
  if (bits < 1 || bits > HardwareWidths::kMaxScaleBits) {
    throw std::invalid_argument(fmt::format("truncate_to_bits: {} bits is out of range 1..{}", bits, HardwareWidths::kMaxScaleBits));
  }
  int exponent = 0;
  const double fraction = std::frexp(value, &exponent);  // value = fraction · 2^exponent, fraction in [0.5, 1)
  // fraction · 2^bits is exact (an exponent change), so floor truncates the real mantissa.
  return {static_cast<std::int64_t>(std::floor(std::ldexp(fraction, bits))), bits - exponent};
}

std::int64_t requantise_two_factors(std::int64_t x, const FixedPointFactor& scale, const FixedPointFactor& inverse,
                                    std::int64_t zero_point, std::int64_t lo, std::int64_t hi) {
  __extension__ using Wide = __int128;  // a GCC/Clang extension; __extension__ keeps -Wpedantic quiet
  const Wide m = static_cast<Wide>(scale.multiplier) * inverse.multiplier;  // < 2^62
  const Wide product = static_cast<Wide>(x) * m;                            // < 2^125
  const int shift = scale.shift + inverse.shift;
  constexpr Wide kLimit = static_cast<Wide>(1) << 125;
  Wide t = 0;
  if (shift >= 126) {
    t = 0;  // |product| < 2^125 <= 2^(shift−1): rounds to 0
  } else if (shift > 0) {
    t = (product + (static_cast<Wide>(1) << (shift - 1))) >> shift;  // arithmetic shift: floor
  } else if (shift == 0) {
    t = product;
  } else {
    const int left = -shift;
    const bool overflows = left >= 125 || product >= (kLimit >> left) || product <= -(kLimit >> left);
    t = overflows ? (product > 0 ? kLimit : -kLimit) : product * (static_cast<Wide>(1) << left);
  }
  const Wide y = t + zero_point;
  return static_cast<std::int64_t>(y < lo ? static_cast<Wide>(lo) : (y > hi ? static_cast<Wide>(hi) : y));
}

}  // namespace bitlab::runtime
