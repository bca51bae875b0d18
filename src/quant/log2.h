#pragma once

// Signed power-of-two levels {0, ±2^e : e in [min_exponent, max_exponent]},
// docs/integer-spec.md §7. Multiplying by a level is a shift and a sign flip,
// which is the point of this format on MCUs without a fast multiplier.

#include <cstdint>
#include <vector>

namespace bitlab::quant {

struct Log2Options {
  // Sign bit plus (bits - 1) magnitude bits; 2 bits gives ternary {0, ±2^max}.
  int bits = 4;
  // Largest magnitude is 2^max_exponent; fix it from the data range, e.g.
  // ceil(log2(max|w|)). The 2^(bits-1) - 1 exponents then run downward.
  int max_exponent = 0;
};

// Code layout (sign-magnitude, `bits` wide, unsigned field when packed):
//   bit (bits-1)      sign, 1 = negative
//   bits [0, bits-1)  magnitude m: 0 is zero, m >= 1 is 2^(min_exponent + m - 1)
// The "negative zero" code decodes to 0 and is never produced by encode().
class Log2Levels {
 public:
  static constexpr int kMinBits = 2;
  static constexpr int kMaxBits = 16;
  // All levels must be normal float32s: exponents within [-126, 127].
  static constexpr int kMinExponent = -126;
  static constexpr int kMaxExponent = 127;

  // Throws std::invalid_argument when bits or the exponent range is invalid.
  explicit Log2Levels(Log2Options options);

  [[nodiscard]] int bits() const { return options_.bits; }
  [[nodiscard]] int max_exponent() const { return options_.max_exponent; }
  [[nodiscard]] int min_exponent() const { return min_exponent_; }
  [[nodiscard]] const Log2Options& options() const { return options_; }

  // Nearest level in the linear domain; a tie goes to the smaller magnitude
  // (so exactly halfway between 0 and 2^min_exponent gives 0). Magnitudes
  // above 2^max_exponent saturate. NaN throws std::invalid_argument.
  [[nodiscard]] std::uint32_t encode(float value) const;
  // Throws std::invalid_argument for codes >= 2^bits.
  [[nodiscard]] float decode(std::uint32_t code) const;
  [[nodiscard]] float quantise(float value) const { return decode(encode(value)); }

  // Exponent of a non-zero code's magnitude, for shift-based kernels.
  [[nodiscard]] int exponent_of(std::uint32_t code) const;

  // Every distinct level, ascending (2^bits - 1 values: 0 appears once).
  [[nodiscard]] std::vector<float> levels() const;

 private:
  Log2Options options_;
  int min_exponent_;
};

}  // namespace bitlab::quant
