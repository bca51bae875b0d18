#include "runtime/hardware_requant.h"

#include <optional>
#include <vector>

#include "quant/dyadic.h"
#include "quant/layout.h"

namespace bitlab::runtime {

IntTensor hardware_requant(const ir::Node& node, const IntTensor& x, const ir::Tensor& x_info, const ir::Tensor& y_info,
                           const HardwareWidths& widths) {
  const auto& a = node.attrs<ir::RequantAttrs>();
  const ir::Quantization& xq = x_info.quant();
  const std::int64_t zy = y_info.quant().zero_point();
  const bool accumulator = !x_info.type.is_code();
  const std::size_t channels = a.multipliers.size();
  std::optional<quant::ChannelLayout> layout;
  if (channels > 1) layout.emplace(x.shape, a.axis);

  std::vector<quant::Requantiser> stored;
  std::vector<FixedPointFactor> scales;
  FixedPointFactor inverse;
  if (widths.splits_multiplier()) {
    inverse = truncate_to_bits(1.0 / y_info.quant().scale(), widths.inverse_scale_bits);
    for (std::size_t c = 0; c < channels; ++c) {
      scales.push_back(truncate_to_bits(xq.scale(xq.num_channels() == 1 ? 0 : c), widths.scale_bits));
    }
  } else {
    for (const quant::DyadicMultiplier& m : a.multipliers) stored.push_back({m, y_info.quant().zero_point(), {a.lo, a.hi}});
  }

  IntTensor y{x.shape, std::vector<std::int64_t>(x.values.size())};
  for (std::size_t i = 0; i < x.values.size(); ++i) {
    const std::size_t c = layout ? layout->channel_of(i) : 0;
    const std::int64_t zx = xq.zero_point(xq.num_channels() == 1 ? 0 : c);
    const std::int64_t v = accumulator ? narrow_to(x.values[i], widths.accumulator_bits, widths.overflow) : x.values[i];
    y.values[i] = widths.splits_multiplier() ? requantise_two_factors(v - zx, scales[c], inverse, zy, a.lo, a.hi)
                                             : stored[c].apply(v - zx);
  }
  return y;
}

}  // namespace bitlab::runtime
