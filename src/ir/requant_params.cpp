#include "ir/requant_params.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "quant/rounding.h"

namespace bitlab::ir {

RequantAttrs make_requant(std::span<const double> real_multipliers, quant::OutputClamp clamp, int axis,
                          const quant::DyadicOptions& options) {
  RequantAttrs attrs;
  for (const double m : real_multipliers) attrs.multipliers.push_back(quant::approximate_dyadic(m, options));
  attrs.axis = axis;
  attrs.lo = clamp.lo;
  attrs.hi = clamp.hi;
  return attrs;
}

AddRequant make_add_requant(std::span<const double> input_scales, double output_scale, quant::OutputClamp clamp,
                            const quant::DyadicOptions& options) {
  if (input_scales.size() < 2) throw std::invalid_argument("make_add_requant: an add needs at least 2 inputs");
  std::vector<double> real;
  for (const double s : input_scales) real.push_back(quant::requant_multiplier(s, 1.0, output_scale));
  const double largest = *std::max_element(real.begin(), real.end());
  AddRequant add;
  add.shift = quant::approximate_dyadic(largest, options).shift;
  for (std::size_t i = 0; i < real.size(); ++i) {
    // M_i · 2^s is exact in float64 (an exponent change), so this is the only rounding.
    const double m = quant::round_half_away_from_zero(std::ldexp(real[i], add.shift));
    if (m < 1.0) {
      throw std::invalid_argument(fmt::format("make_add_requant: input {} (scale {}) rounds to multiplier 0 at "
                                              "shift {}; its scale is far below the output scale {}",
                                              i, input_scales[i], add.shift, output_scale));
    }
    add.multipliers.push_back(static_cast<std::int64_t>(m));
  }
  add.lo = clamp.lo;
  add.hi = clamp.hi;
  return add;
}

}  // namespace bitlab::ir
