#include "quant/rounding.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace bitlab::quant {

std::string_view to_string(RoundingMode mode) {
  switch (mode) {
    case RoundingMode::HalfToEven: return "half_to_even";
    case RoundingMode::HalfAwayFromZero: return "half_away_from_zero";
    case RoundingMode::Floor: return "floor";
    case RoundingMode::Stochastic: return "stochastic";
  }
  return "unknown";
}

RoundingMode rounding_mode_from_string(std::string_view name) {
  if (name == "half_to_even") return RoundingMode::HalfToEven;
  if (name == "half_away_from_zero") return RoundingMode::HalfAwayFromZero;
  if (name == "floor") return RoundingMode::Floor;
  if (name == "stochastic") return RoundingMode::Stochastic;
  throw std::invalid_argument("rounding mode '" + std::string(name) +
                              "' is unknown; allowed: half_to_even, half_away_from_zero, floor, stochastic");
}

double round_floor(double value) { return std::floor(value); }

// std::nearbyint would follow the current fenv rounding direction; this does not.
double round_half_to_even(double value) {
  const double below = std::floor(value);
  // Exact except for values in (-0.5, 0), where 1 + value may round up; it
  // can never round down to 0.5, so the result is still the nearest integer.
  const double fraction = value - below;
  if (fraction < 0.5) return below;
  if (fraction > 0.5) return below + 1.0;
  return std::fmod(below, 2.0) == 0.0 ? below : below + 1.0;
}

double round_half_away_from_zero(double value) { return std::round(value); }

double round_stochastic(double value, double unit) {
  const double below = std::floor(value);
  const double fraction = value - below;
  return unit < fraction ? below + 1.0 : below;
}

double round_value(double value, RoundingMode mode) {
  switch (mode) {
    case RoundingMode::HalfToEven: return round_half_to_even(value);
    case RoundingMode::HalfAwayFromZero: return round_half_away_from_zero(value);
    case RoundingMode::Floor: return round_floor(value);
    case RoundingMode::Stochastic:
      throw std::invalid_argument("rounding mode stochastic needs a Generator; use the overload that takes one");
  }
  throw std::invalid_argument("round_value: unknown rounding mode");
}

double round_value(double value, RoundingMode mode, Generator& generator) {
  if (mode == RoundingMode::Stochastic) return round_stochastic(value, uniform_unit(generator));
  return round_value(value, mode);
}

}  // namespace bitlab::quant
