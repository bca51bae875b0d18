#include "ir/passes/integerise.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "ir/passes/conversion_error.h"
#include "quant/rounding.h"
#include "quant/uniform.h"

namespace bitlab::ir::passes {

std::vector<std::int64_t> weight_codes(const Tensor& w, const quant::QuantSpec& spec) {
  if (!w.float_data) throw ConversionError(fmt::format("weights \"{}\" are not a float constant", w.name));
  const std::vector<std::int32_t> codes = quant::quantise(*w.float_data, w.shape, spec);
  return {codes.begin(), codes.end()};
}

std::vector<double> accumulator_scales(double input_scale, const quant::QuantSpec& weight_spec) {
  std::vector<double> out;
  for (const double sw : weight_spec.scales) out.push_back(input_scale * sw);
  return out;
}

std::vector<std::int64_t> bias_codes(const Tensor& bias, double input_scale, const quant::QuantSpec& weight_spec,
                                     std::int64_t out_channels) {
  if (!bias.float_data) throw ConversionError(fmt::format("bias \"{}\" is not a float constant", bias.name));
  const std::vector<double> scales = accumulator_scales(input_scale, weight_spec);
  std::vector<std::int64_t> out;
  for (std::int64_t c = 0; c < out_channels; ++c) {
    const double s = scales[scales.size() == 1 ? 0 : static_cast<std::size_t>(c)];
    const double code = quant::round_half_to_even(static_cast<double>(bias.float_data->at(static_cast<std::size_t>(c))) / s);
    if (!(std::abs(code) <= std::numeric_limits<std::int32_t>::max())) {
      throw ConversionError(fmt::format("bias \"{}\" channel {}: {} / (s_x·s_w = {}) = {} does not fit int32; the "
                                        "input or weight scale is far too small for this bias",
                                        bias.name, c, bias.float_data->at(static_cast<std::size_t>(c)), s, code));
    }
    out.push_back(static_cast<std::int64_t>(code));
  }
  return out;
}

}  // namespace bitlab::ir::passes
