#include "quant/spec.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace bitlab::quant {
namespace {

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("QuantSpec: " + message);
}

void check_bits(int bits, bool narrow_range) {
  if (bits < QuantSpec::kMinBits || bits > QuantSpec::kMaxBits) {
    fail("bits = " + std::to_string(bits) + " is not allowed; must be in [" +
         std::to_string(QuantSpec::kMinBits) + ", " + std::to_string(QuantSpec::kMaxBits) + "]");
  }
  // A 1-bit narrow range would leave a single code, i.e. a constant tensor.
  if (narrow_range && bits < 2) {
    fail("narrow_range = true needs bits >= 2 (got bits = " + std::to_string(bits) + ")");
  }
}

}  // namespace

std::string_view to_string(Granularity granularity) {
  return granularity == Granularity::PerTensor ? "per_tensor" : "per_channel";
}

std::string_view to_string(ScaleKind kind) {
  return kind == ScaleKind::Float ? "float" : "power_of_two";
}

Granularity granularity_from_string(std::string_view name) {
  if (name == "per_tensor") return Granularity::PerTensor;
  if (name == "per_channel") return Granularity::PerChannel;
  throw std::invalid_argument("granularity '" + std::string(name) +
                              "' is unknown; allowed: per_tensor, per_channel");
}

ScaleKind scale_kind_from_string(std::string_view name) {
  if (name == "float") return ScaleKind::Float;
  if (name == "power_of_two") return ScaleKind::PowerOfTwo;
  throw std::invalid_argument("scale kind '" + std::string(name) +
                              "' is unknown; allowed: float, power_of_two");
}

std::int32_t code_min(int bits, bool is_signed, bool narrow_range) {
  check_bits(bits, narrow_range);
  if (!is_signed) return 0;
  const std::int32_t most_negative = -(std::int32_t{1} << (bits - 1));
  return narrow_range ? most_negative + 1 : most_negative;
}

std::int32_t code_max(int bits, bool is_signed, bool narrow_range) {
  check_bits(bits, narrow_range);
  if (is_signed) return (std::int32_t{1} << (bits - 1)) - 1;
  const std::int32_t all_ones = (std::int32_t{1} << bits) - 1;
  return narrow_range ? all_ones - 1 : all_ones;
}

bool is_power_of_two(double value) {
  if (!std::isfinite(value) || value <= 0.0) return false;
  int exponent = 0;
  return std::frexp(value, &exponent) == 0.5;
}

std::int32_t QuantSpec::qmin() const { return code_min(bits, is_signed, narrow_range); }
std::int32_t QuantSpec::qmax() const { return code_max(bits, is_signed, narrow_range); }
std::int64_t QuantSpec::levels() const { return std::int64_t{qmax()} - qmin() + 1; }

void QuantSpec::validate() const {
  check_bits(bits, narrow_range);

  if (granularity == Granularity::PerTensor && scales.size() != 1) {
    fail("scales has " + std::to_string(scales.size()) +
         " entries; granularity per_tensor needs exactly 1");
  }
  if (granularity == Granularity::PerChannel) {
    if (scales.empty()) fail("scales is empty; granularity per_channel needs one per channel");
    if (axis < 0) {
      fail("axis = " + std::to_string(axis) + " is not allowed; must be >= 0 (no Python-style negatives)");
    }
  }
  for (std::size_t c = 0; c < scales.size(); ++c) {
    const double s = scales[c];
    if (!std::isfinite(s) || s <= 0.0) {
      fail("scales[" + std::to_string(c) + "] = " + std::to_string(s) + " must be finite and > 0");
    }
    if (scale_kind == ScaleKind::PowerOfTwo && !is_power_of_two(s)) {
      fail("scales[" + std::to_string(c) + "] = " + std::to_string(s) +
           " is not an exact power of two, which scale_kind power_of_two requires");
    }
  }

  if (!zero_points.empty() && zero_points.size() != scales.size()) {
    fail("zero_points has " + std::to_string(zero_points.size()) +
         " entries; must be empty (all zero) or match scales (" + std::to_string(scales.size()) + ")");
  }
  const std::int32_t lo = qmin();
  const std::int32_t hi = qmax();
  for (std::size_t c = 0; c < zero_points.size(); ++c) {
    const std::int32_t z = zero_points[c];
    if (symmetric && z != 0) {
      fail("zero_points[" + std::to_string(c) + "] = " + std::to_string(z) +
           " but symmetric = true requires 0");
    }
    // Outside the code range, real 0 would not be representable (§11).
    if (z < lo || z > hi) {
      fail("zero_points[" + std::to_string(c) + "] = " + std::to_string(z) + " is outside the code range [" +
           std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
  }
}

double QuantSpec::step(std::size_t channel) const { return scales.at(channel); }

std::int32_t QuantSpec::zero_point(std::size_t channel) const {
  if (zero_points.empty()) {
    if (channel >= scales.size()) throw std::out_of_range("QuantSpec::zero_point: channel out of range");
    return 0;
  }
  return zero_points.at(channel);
}

int QuantSpec::scale_exponent(std::size_t channel) const {
  if (scale_kind != ScaleKind::PowerOfTwo) {
    throw std::invalid_argument("QuantSpec::scale_exponent: scale_kind is float, not power_of_two");
  }
  return std::ilogb(scales.at(channel));
}

}  // namespace bitlab::quant
