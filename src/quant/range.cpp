#include "quant/range.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "quant/rounding.h"

namespace bitlab::quant {
namespace {

struct ChannelFit {
  double scale;
  std::int32_t zero_point;
};

double round_up_to_power_of_two(double scale) {
  int exponent = 0;
  const double fraction = std::frexp(scale, &exponent);
  return fraction == 0.5 ? scale : std::ldexp(1.0, exponent);
}

ChannelFit fit_channel(const QuantSpec& format, double min, double max, std::size_t channel) {
  if (!std::isfinite(min) || !std::isfinite(max) || min > max) {
    throw std::invalid_argument("fit_range: channel " + std::to_string(channel) + " has range [" +
                                std::to_string(min) + ", " + std::to_string(max) +
                                "]; bounds must be finite with min <= max");
  }
  const double lo = std::min(min, 0.0);
  const double hi = std::max(max, 0.0);
  const std::int32_t qmin = format.qmin();
  const std::int32_t qmax = format.qmax();

  double scale = 0.0;
  if (format.symmetric) {
    // The positive side sets the scale: with [-128, 127] dividing by 128
    // would push +max one code past qmax.
    scale = format.is_signed ? std::max(-lo, hi) / qmax : hi / qmax;
  } else {
    scale = (hi - lo) / (static_cast<double>(qmax) - qmin);
  }
  if (scale == 0.0) scale = 1.0;  // all-zero data: any scale represents it
  if (format.scale_kind == ScaleKind::PowerOfTwo) scale = round_up_to_power_of_two(scale);

  std::int32_t zero_point = 0;
  if (!format.symmetric) {
    const double z = qmin - round_half_to_even(lo / scale);
    zero_point = static_cast<std::int32_t>(std::clamp(z, static_cast<double>(qmin), static_cast<double>(qmax)));
  }
  return {scale, zero_point};
}

void check_format(const QuantSpec& format) {
  // Only the integer range matters here; scales get replaced.
  (void)format.qmin();  // validates bits / narrow_range
  if (format.symmetric && format.is_signed && format.qmax() < 1) {
    throw std::invalid_argument("fit_range: a symmetric signed spec needs bits >= 2 (got bits = " +
                                std::to_string(format.bits) + ")");
  }
}

QuantSpec with_fits(QuantSpec spec, const std::vector<ChannelFit>& fits) {
  spec.scales.clear();
  spec.zero_points.clear();
  for (const ChannelFit& fit : fits) {
    spec.scales.push_back(fit.scale);
    spec.zero_points.push_back(fit.zero_point);
  }
  spec.validate();
  return spec;
}

}  // namespace

QuantSpec fit_range(const QuantSpec& format, double min, double max) {
  if (format.granularity != Granularity::PerTensor) {
    throw std::invalid_argument("fit_range: format is per_channel; pass one min and max per channel");
  }
  check_format(format);
  return with_fits(format, {fit_channel(format, min, max, 0)});
}

QuantSpec fit_range(const QuantSpec& format, std::span<const double> mins, std::span<const double> maxs) {
  if (format.granularity != Granularity::PerChannel) {
    throw std::invalid_argument("fit_range: format is per_tensor; use the overload with a single min and max");
  }
  if (mins.empty() || mins.size() != maxs.size()) {
    throw std::invalid_argument("fit_range: got " + std::to_string(mins.size()) + " mins and " +
                                std::to_string(maxs.size()) + " maxs; need the same non-zero count");
  }
  check_format(format);
  std::vector<ChannelFit> fits;
  fits.reserve(mins.size());
  for (std::size_t c = 0; c < mins.size(); ++c) fits.push_back(fit_channel(format, mins[c], maxs[c], c));
  return with_fits(format, fits);
}

}  // namespace bitlab::quant
