#include "quant/dyadic.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "quant/rounding.h"

namespace bitlab::quant {
namespace {

// __int128 is a GCC/Clang extension; __extension__ keeps -Wpedantic quiet.
__extension__ using Int128 = __int128;

constexpr int kMaxMultiplierBits = 32;
constexpr int kShiftLimit = 62;

std::string describe(double value) {
  // std::to_string prints 6 decimals, which shows tiny multipliers as 0.000000.
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

void check_options(const DyadicOptions& options) {
  if (options.multiplier_bits < 1 || options.multiplier_bits > kMaxMultiplierBits) {
    throw std::invalid_argument("DyadicOptions: multiplier_bits = " + std::to_string(options.multiplier_bits) +
                                " must be in [1, " + std::to_string(kMaxMultiplierBits) + "]");
  }
  if (options.max_shift < 0 || options.max_shift > kShiftLimit) {
    throw std::invalid_argument("DyadicOptions: max_shift = " + std::to_string(options.max_shift) +
                                " must be in [0, " + std::to_string(kShiftLimit) +
                                "] so that 2^(s-1) fits in int64");
  }
}

std::int64_t saturate_to_int64(Int128 value) {
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  if (value < lo) return lo;
  if (value > hi) return hi;
  return static_cast<std::int64_t>(value);
}

// Exact (x * m + 2^(s-1)) >> s; |x * m| < 2^95, so 128 bits never overflow.
Int128 rounding_shift(std::int64_t x, const DyadicMultiplier& multiplier) {
  Int128 product = static_cast<Int128>(x) * multiplier.multiplier;
  if (multiplier.shift == 0) return product;
  product += static_cast<Int128>(1) << (multiplier.shift - 1);
  return product >> multiplier.shift;  // arithmetic shift: floor division (C++20)
}

}  // namespace

double DyadicMultiplier::value() const { return std::ldexp(static_cast<double>(multiplier), -shift); }

DyadicMultiplier approximate_dyadic(double real_multiplier, const DyadicOptions& options) {
  check_options(options);
  if (!std::isfinite(real_multiplier) || real_multiplier <= 0.0) {
    throw std::invalid_argument("approximate_dyadic: multiplier " + describe(real_multiplier) +
                                " must be finite and > 0");
  }
  const int bits = options.multiplier_bits;
  int exponent = 0;
  const double fraction = std::frexp(real_multiplier, &exponent);  // M = f * 2^e, f in [0.5, 1)

  // f * 2^b is exact (a pure exponent change); rounding it is the only error.
  auto mantissa = static_cast<std::int64_t>(round_half_away_from_zero(std::ldexp(fraction, bits)));
  if (mantissa == (std::int64_t{1} << bits)) {  // rounded up past the top: renormalise
    mantissa >>= 1;
    ++exponent;
  }
  const int shift = bits - exponent;
  if (shift < 0) {
    throw std::invalid_argument("approximate_dyadic: multiplier " + describe(real_multiplier) +
                                " needs a left shift; with multiplier_bits = " + std::to_string(bits) +
                                " it must be below 2^" + std::to_string(bits));
  }
  if (shift <= options.max_shift) return {mantissa, shift};

  // Too small to normalise within max_shift: keep the largest shift and give
  // up leading bits of m instead (§9.1).
  const auto denormal =
      static_cast<std::int64_t>(round_half_away_from_zero(std::ldexp(real_multiplier, options.max_shift)));
  if (denormal == 0) {
    throw std::invalid_argument("approximate_dyadic: multiplier " + describe(real_multiplier) +
                                " rounds to 0 with max_shift = " + std::to_string(options.max_shift) +
                                "; it must be at least 2^-" + std::to_string(options.max_shift + 1));
  }
  return {denormal, options.max_shift};
}

std::int64_t multiply_by_dyadic(std::int64_t x, const DyadicMultiplier& multiplier) {
  return saturate_to_int64(rounding_shift(x, multiplier));
}

OutputClamp output_clamp(const QuantSpec& output, std::size_t channel, FusedActivation activation, double cap) {
  output.validate();
  const std::int32_t z = output.zero_point(channel);
  OutputClamp clamp{output.qmin(), output.qmax()};
  if (activation == FusedActivation::None) return clamp;

  // Real 0 is exactly code z (§11), so ReLU is "codes below z become z".
  clamp.lo = std::max(clamp.lo, z);
  if (activation == FusedActivation::ReluCap) {
    if (!std::isfinite(cap) || cap <= 0.0) {
      throw std::invalid_argument("output_clamp: cap = " + describe(cap) + " must be finite and > 0");
    }
    const double cap_code = round_half_to_even(cap / output.step(channel)) + z;
    clamp.hi = static_cast<std::int32_t>(std::min(static_cast<double>(clamp.hi), cap_code));
  }
  return clamp;
}

Requantiser Requantiser::make(double real_multiplier, const QuantSpec& output, std::size_t channel,
                              FusedActivation activation, double cap, const DyadicOptions& options) {
  const OutputClamp clamp = output_clamp(output, channel, activation, cap);  // validates spec and channel
  return Requantiser{approximate_dyadic(real_multiplier, options), output.zero_point(channel), clamp};
}

std::int32_t Requantiser::apply(std::int64_t accumulator) const {
  const Int128 shifted = rounding_shift(accumulator, multiplier) + zero_point;
  return static_cast<std::int32_t>(std::clamp<Int128>(shifted, clamp.lo, clamp.hi));
}

double requant_multiplier(double input_scale, double weight_scale, double output_scale) {
  for (const double s : {input_scale, weight_scale, output_scale}) {
    if (!std::isfinite(s) || s <= 0.0) {
      throw std::invalid_argument("requant_multiplier: scale " + describe(s) + " must be finite and > 0");
    }
  }
  return input_scale * weight_scale / output_scale;
}

}  // namespace bitlab::quant
