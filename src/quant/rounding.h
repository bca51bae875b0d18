#pragma once

// Real-to-integer rounding modes (docs/integer-spec.md §3). Every mode is
// implemented with exact double operations only, so results do not depend on
// the floating-point environment (fesetround) or the standard library.

#include <string_view>

#include "quant/random.h"

namespace bitlab::quant {

enum class RoundingMode : unsigned char {
  HalfToEven,        // IEEE default, numpy/torch.round
  HalfAwayFromZero,  // std::round, C's "schoolbook" rounding
  Floor,             // toward -inf; what a bare arithmetic shift does
  Stochastic,        // floor(v) + [u < v - floor(v)], u ~ U[0,1) (§3.2)
};

std::string_view to_string(RoundingMode mode);
// Accepts half_to_even, half_away_from_zero, floor, stochastic.
RoundingMode rounding_mode_from_string(std::string_view name);

// Deterministic modes; throws std::invalid_argument for Stochastic, which needs
// a generator. The result is an integral double (or +-inf, or NaN for NaN).
double round_value(double value, RoundingMode mode);

// Any mode; Stochastic consumes exactly one uniform_unit draw per call, the
// other modes consume none.
double round_value(double value, RoundingMode mode, Generator& generator);

double round_half_to_even(double value);
double round_half_away_from_zero(double value);
double round_floor(double value);
// `unit` must be in [0, 1); rounds up with probability (value - floor(value)).
double round_stochastic(double value, double unit);

}  // namespace bitlab::quant
