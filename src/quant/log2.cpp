#include "quant/log2.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace bitlab::quant {
namespace {

int magnitude_codes(int bits) { return 1 << (bits - 1); }

}  // namespace

Log2Levels::Log2Levels(Log2Options options) : options_(options), min_exponent_(0) {
  if (options.bits < kMinBits || options.bits > kMaxBits) {
    throw std::invalid_argument("Log2Options: bits = " + std::to_string(options.bits) + " must be in [" +
                                std::to_string(kMinBits) + ", " + std::to_string(kMaxBits) +
                                "] (one sign bit plus at least one magnitude bit)");
  }
  // Magnitude code 0 is zero, so 2^(bits-1) - 1 codes remain for exponents.
  const int exponent_count = magnitude_codes(options.bits) - 1;
  min_exponent_ = options.max_exponent - (exponent_count - 1);
  if (options.max_exponent > kMaxExponent || min_exponent_ < kMinExponent) {
    throw std::invalid_argument("Log2Options: max_exponent = " + std::to_string(options.max_exponent) +
                                " with bits = " + std::to_string(options.bits) + " gives exponents [" +
                                std::to_string(min_exponent_) + ", " + std::to_string(options.max_exponent) +
                                "]; all must lie in [" + std::to_string(kMinExponent) + ", " +
                                std::to_string(kMaxExponent) + "] (normal float32)");
  }
}

std::uint32_t Log2Levels::encode(float value) const {
  if (std::isnan(value)) throw std::invalid_argument("Log2Levels::encode: value is NaN");
  const std::uint32_t sign = std::signbit(value) ? 1u << (options_.bits - 1) : 0u;
  const double magnitude = std::fabs(static_cast<double>(value));

  // All comparisons are against exact powers of two or 1.5 * 2^e, so the
  // decision boundaries are exact (§7).
  if (magnitude <= std::ldexp(1.0, min_exponent_ - 1)) return 0u;  // ties to zero, and no "-0" code
  int exponent = options_.max_exponent;
  if (magnitude < std::ldexp(1.0, options_.max_exponent)) {
    int frexp_exponent = 0;
    std::frexp(magnitude, &frexp_exponent);  // magnitude in [2^(k-1), 2^k)
    const int below = frexp_exponent - 1;
    if (below < min_exponent_) {
      exponent = min_exponent_;  // (2^(min-1), 2^min) is nearer 2^min than 0
    } else {
      // Midpoint of [2^below, 2^(below+1)] is 1.5 * 2^below; ties go down.
      exponent = magnitude > std::ldexp(1.5, below) ? below + 1 : below;
    }
  }
  const auto magnitude_code = static_cast<std::uint32_t>(exponent - min_exponent_ + 1);
  return sign | magnitude_code;
}

float Log2Levels::decode(std::uint32_t code) const {
  if (code >= (1u << options_.bits)) {
    throw std::invalid_argument("Log2Levels::decode: code " + std::to_string(code) + " does not fit in " +
                                std::to_string(options_.bits) + " bits");
  }
  const std::uint32_t magnitude_code = code & ((1u << (options_.bits - 1)) - 1u);
  if (magnitude_code == 0) return 0.0f;
  const float magnitude = std::ldexp(1.0f, exponent_of(code));
  return (code >> (options_.bits - 1)) != 0 ? -magnitude : magnitude;
}

int Log2Levels::exponent_of(std::uint32_t code) const {
  const std::uint32_t magnitude_code = code & ((1u << (options_.bits - 1)) - 1u);
  if (magnitude_code == 0 || code >= (1u << options_.bits)) {
    throw std::invalid_argument("Log2Levels::exponent_of: code " + std::to_string(code) +
                                " is zero or out of range; it has no exponent");
  }
  return min_exponent_ + static_cast<int>(magnitude_code) - 1;
}

std::vector<float> Log2Levels::levels() const {
  std::vector<float> result;
  for (int e = options_.max_exponent; e >= min_exponent_; --e) result.push_back(-std::ldexp(1.0f, e));
  result.push_back(0.0f);
  for (int e = min_exponent_; e <= options_.max_exponent; ++e) result.push_back(std::ldexp(1.0f, e));
  return result;
}

}  // namespace bitlab::quant
