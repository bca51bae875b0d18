#include "quant/uniform.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "quant/layout.h"

namespace bitlab::quant {
namespace {

// The spec's per-channel numbers, looked up once per buffer instead of
// through the bounds-checked accessors per element.
struct ChannelParams {
  double scale;
  std::int32_t zero_point;
};

void check_options(const QuantiseOptions& options) {
  if (options.rounding == RoundingMode::Stochastic && options.generator == nullptr) {
    throw std::invalid_argument("QuantiseOptions: rounding = stochastic needs a non-null generator");
  }
}

std::int32_t quantise_unchecked(float value, ChannelParams params, std::int32_t qmin, std::int32_t qmax,
                                const QuantiseOptions& options, std::size_t index) {
  if (std::isnan(value)) {
    throw std::invalid_argument("quantise: value at index " + std::to_string(index) + " is NaN");
  }
  const double scaled = static_cast<double>(value) / params.scale;
  const double rounded = options.rounding == RoundingMode::Stochastic
                             ? round_value(scaled, options.rounding, *options.generator)
                             : round_value(scaled, options.rounding);
  // Rounding before adding z is the same as after, because z is an integer;
  // clamping in double avoids overflow for huge or infinite inputs (§4).
  const double shifted = rounded + static_cast<double>(params.zero_point);
  return static_cast<std::int32_t>(std::clamp(shifted, static_cast<double>(qmin), static_cast<double>(qmax)));
}

double dequantise_unchecked(std::int32_t code, ChannelParams params, std::int32_t qmin, std::int32_t qmax,
                            std::size_t index) {
  if (code < qmin || code > qmax) {
    throw std::invalid_argument("dequantise: code " + std::to_string(code) + " at index " +
                                std::to_string(index) + " is outside [" + std::to_string(qmin) + ", " +
                                std::to_string(qmax) + "]");
  }
  // code - z is exact in int64 and in double; one rounding, in the product (§5).
  const auto centred = static_cast<std::int64_t>(code) - params.zero_point;
  return params.scale * static_cast<double>(centred);
}

std::vector<ChannelParams> channel_params(const QuantSpec& spec) {
  std::vector<ChannelParams> params(spec.num_channels());
  for (std::size_t c = 0; c < params.size(); ++c) params[c] = {spec.scales[c], spec.zero_point(c)};
  return params;
}

// Returns, per element, which entry of channel_params() applies.
class ChannelIndexer {
 public:
  ChannelIndexer(std::span<const std::int64_t> shape, const QuantSpec& spec, std::size_t num_values)
      : per_channel_(spec.granularity == Granularity::PerChannel),
        layout_(per_channel_ ? ChannelLayout(shape, spec.axis) : flat_layout(shape)) {
    if (layout_.num_elements() != num_values) {
      throw std::invalid_argument("shape has " + std::to_string(layout_.num_elements()) +
                                  " elements but the buffer has " + std::to_string(num_values));
    }
    if (per_channel_ && layout_.num_channels() != spec.num_channels()) {
      throw std::invalid_argument("shape[axis = " + std::to_string(spec.axis) + "] = " +
                                  std::to_string(layout_.num_channels()) + " but the spec has " +
                                  std::to_string(spec.num_channels()) + " channels");
    }
  }

  [[nodiscard]] std::size_t operator()(std::size_t flat_index) const {
    return per_channel_ ? layout_.channel_of(flat_index) : 0;
  }

 private:
  // A per-tensor spec accepts any shape; count its elements via a rank-1 view.
  static ChannelLayout flat_layout(std::span<const std::int64_t> shape) {
    std::int64_t count = 1;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] < 0) {
        throw std::invalid_argument("shape[" + std::to_string(d) + "] = " + std::to_string(shape[d]) +
                                    " is negative");
      }
      count *= shape[d];
    }
    const std::int64_t flat[] = {count};
    return ChannelLayout(flat, 0);
  }

  bool per_channel_;
  ChannelLayout layout_;
};

}  // namespace

std::int32_t quantise_value(float value, const QuantSpec& spec, std::size_t channel,
                            const QuantiseOptions& options) {
  spec.validate();
  check_options(options);
  return quantise_unchecked(value, {spec.step(channel), spec.zero_point(channel)}, spec.qmin(), spec.qmax(),
                            options, 0);
}

double dequantise_value(std::int32_t code, const QuantSpec& spec, std::size_t channel) {
  spec.validate();
  return dequantise_unchecked(code, {spec.step(channel), spec.zero_point(channel)}, spec.qmin(), spec.qmax(), 0);
}

std::vector<std::int32_t> quantise(std::span<const float> values, std::span<const std::int64_t> shape,
                                   const QuantSpec& spec, const QuantiseOptions& options) {
  spec.validate();
  check_options(options);
  const ChannelIndexer channel_of(shape, spec, values.size());
  const auto params = channel_params(spec);
  const std::int32_t qmin = spec.qmin();
  const std::int32_t qmax = spec.qmax();
  std::vector<std::int32_t> codes(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    codes[i] = quantise_unchecked(values[i], params[channel_of(i)], qmin, qmax, options, i);
  }
  return codes;
}

std::vector<float> dequantise(std::span<const std::int32_t> codes, std::span<const std::int64_t> shape,
                              const QuantSpec& spec) {
  spec.validate();
  const ChannelIndexer channel_of(shape, spec, codes.size());
  const auto params = channel_params(spec);
  const std::int32_t qmin = spec.qmin();
  const std::int32_t qmax = spec.qmax();
  std::vector<float> values(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) {
    values[i] = static_cast<float>(dequantise_unchecked(codes[i], params[channel_of(i)], qmin, qmax, i));
  }
  return values;
}

std::vector<std::int32_t> quantise(std::span<const float> values, const QuantSpec& spec,
                                   const QuantiseOptions& options) {
  if (spec.granularity == Granularity::PerChannel) {
    throw std::invalid_argument("quantise: spec is per_channel; use the overload that takes a shape");
  }
  const std::int64_t shape[] = {static_cast<std::int64_t>(values.size())};
  return quantise(values, shape, spec, options);
}

std::vector<float> dequantise(std::span<const std::int32_t> codes, const QuantSpec& spec) {
  if (spec.granularity == Granularity::PerChannel) {
    throw std::invalid_argument("dequantise: spec is per_channel; use the overload that takes a shape");
  }
  const std::int64_t shape[] = {static_cast<std::int64_t>(codes.size())};
  return dequantise(codes, shape, spec);
}

std::vector<float> fake_quantise(std::span<const float> values, std::span<const std::int64_t> shape,
                                 const QuantSpec& spec, const QuantiseOptions& options) {
  return dequantise(quantise(values, shape, spec, options), shape, spec);
}

}  // namespace bitlab::quant
