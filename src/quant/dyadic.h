#pragma once

// Dyadic requantisation, docs/integer-spec.md §9–§10: a real multiplier M > 0
// becomes m * 2^-s, and an accumulator x becomes
//   y = clamp(((x * m + 2^(s-1)) >> s) + z, lo, hi)
// with one rounding (half toward +inf) in exact integer arithmetic.

#include <cstddef>
#include <cstdint>

#include "quant/spec.h"

namespace bitlab::quant {

struct DyadicOptions {
  // m is normalised into [2^(multiplier_bits-1), 2^multiplier_bits): 31 fits a
  // signed int32 (CMSIS-NN/TFLite), 15 an int16, 16 a uint16, 1 a pure shift.
  int multiplier_bits = 31;
  // Largest right shift a kernel may use. Multipliers so small that the
  // normalised shift exceeds it lose precision; see approximate_dyadic.
  int max_shift = 62;
};

struct DyadicMultiplier {
  std::int64_t multiplier = 1;  // m >= 1
  int shift = 0;                // s in [0, max_shift]

  // m * 2^-s as a double (exact, since m has at most 32 bits).
  [[nodiscard]] double value() const;
  bool operator==(const DyadicMultiplier&) const = default;
};

// Closest m * 2^-s to `real_multiplier` (§9.1):
//  - normal case: m in [2^(b-1), 2^b), relative error <= 2^-b;
//  - M so small that s would exceed max_shift: s = max_shift and
//    m = round(M * 2^max_shift) (fewer significant bits, absolute error
//    <= 2^-(max_shift+1)); if that rounds to 0, throws std::invalid_argument;
//  - M >= 2^b, which would need a negative shift: throws std::invalid_argument.
// Non-finite or non-positive M and bad options also throw.
DyadicMultiplier approximate_dyadic(double real_multiplier, const DyadicOptions& options = {});

// (x * m + 2^(s-1)) >> s, i.e. round(x * m / 2^s) with ties toward +inf,
// computed in 128 bits so no x and m can overflow; saturates to int64.
std::int64_t multiply_by_dyadic(std::int64_t x, const DyadicMultiplier& multiplier);

// Output code bounds after requantisation: the output spec's range narrowed
// by any fused activation (§10.2).
struct OutputClamp {
  std::int32_t lo;
  std::int32_t hi;
};

enum class FusedActivation : unsigned char {
  None,
  Relu,     // y >= 0   -> lo = max(qmin, z)
  ReluCap,  // 0 <= y <= cap (ReLU6 with cap = 6) -> also hi = min(qmax, z + round_half_to_even(cap / s))
};

// Throws std::invalid_argument for an invalid spec or cap <= 0, and
// std::out_of_range for a channel the spec does not have.
OutputClamp output_clamp(const QuantSpec& output, std::size_t channel = 0,
                         FusedActivation activation = FusedActivation::None, double cap = 6.0);

// One output channel's requantisation step: everything a kernel needs.
struct Requantiser {
  DyadicMultiplier multiplier;
  std::int32_t zero_point = 0;
  OutputClamp clamp{0, 0};

  // Builds M = real_multiplier's dyadic form, z and the clamp from `output`.
  static Requantiser make(double real_multiplier, const QuantSpec& output, std::size_t channel = 0,
                          FusedActivation activation = FusedActivation::None, double cap = 6.0,
                          const DyadicOptions& options = {});

  // clamp(multiply_by_dyadic(acc) + z, lo, hi), computed without overflow.
  [[nodiscard]] std::int32_t apply(std::int64_t accumulator) const;
};

// Real multiplier of a conv/linear output: s_x * s_w / s_y (§14).
double requant_multiplier(double input_scale, double weight_scale, double output_scale);

}  // namespace bitlab::quant
