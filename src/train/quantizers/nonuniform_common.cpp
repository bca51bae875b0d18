#include "train/quantizers/nonuniform_common.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab::train::nonuniform {

void require_bits(const QuantizerOptions& options, const std::string& algorithm, int min_bits, int max_bits,
                  const std::string& why) {
  if (options.bits >= min_bits && options.bits <= max_bits) return;
  const std::string range =
      min_bits == max_bits ? fmt::format("bits = {}", min_bits) : fmt::format("bits in [{}, {}]", min_bits, max_bits);
  throw ConfigError(fmt::format("quantizer {}: {} bits is not supported; expected {} ({})", algorithm, options.bits,
                                range, why));
}

void require_weights(const QuantizerOptions& options, const std::string& algorithm) {
  if (options.role != TensorRole::kWeight) {
    throw ConfigError(fmt::format("algorithm \"{}\" quantises weights only, not activations", algorithm));
  }
}

void require_per_tensor(const QuantizerOptions& options, const std::string& algorithm) {
  if (options.granularity != quant::Granularity::PerTensor) {
    throw ConfigError(fmt::format(
        "quantizer {}: granularity per_channel is not supported; the algorithm learns one level set per "
        "tensor (use granularity per_tensor)",
        algorithm));
  }
}

void require_signed(const QuantizerOptions& options, const std::string& algorithm) {
  if (!options.is_signed) {
    throw ConfigError(fmt::format(
        "quantizer {}: is_signed = false is not supported; its levels are symmetric around zero", algorithm));
  }
}

void check_granularity(const QuantizerOptions& options, const std::string& algorithm) {
  if (options.granularity != quant::Granularity::PerChannel) return;
  if (options.channels < 1) {
    throw ConfigError(
        fmt::format("quantizer {}: per_channel needs channels >= 1, got {}", algorithm, options.channels));
  }
  if (options.axis < 0) {
    throw ConfigError(fmt::format("quantizer {}: per_channel needs axis >= 0, got {}", algorithm, options.axis));
  }
}

int64_t channel_count(const QuantizerOptions& options) {
  return options.granularity == quant::Granularity::PerChannel ? options.channels : 1;
}

torch::Tensor channel_rows(const torch::Tensor& x, const QuantizerOptions& options) {
  if (options.granularity != quant::Granularity::PerChannel) return x.reshape({1, -1});
  if (options.axis >= x.dim() || x.size(options.axis) != options.channels) {
    throw std::invalid_argument(fmt::format(
        "quantizer {}: per-channel along axis {} with {} channels, but the tensor has shape {}",
        options.algorithm, options.axis, options.channels, fmt::join(x.sizes().vec(), "x")));
  }
  return x.movedim(options.axis, 0).reshape({options.channels, -1});
}

torch::Tensor broadcast_channels(const torch::Tensor& p, const torch::Tensor& x, const QuantizerOptions& options) {
  if (options.granularity != quant::Granularity::PerChannel) return p.reshape({});
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[static_cast<size_t>(options.axis)] = p.numel();
  return p.reshape(shape);
}

torch::Tensor pow2(const torch::Tensor& exponents) {
  // A normal float32 2^e has biased exponent field e + 127 and a zero mantissa.
  return ((exponents.to(torch::kInt32) + 127) * (1 << 23)).contiguous().view(torch::kFloat32);
}

torch::Tensor log2_nearest(const torch::Tensor& x, const torch::Tensor& e_min, const torch::Tensor& e_max) {
  torch::NoGradGuard no_grad;
  const torch::Tensor magnitude = x.abs();
  // frexp: magnitude = mantissa * 2^exponent with mantissa in [0.5, 1), exact.
  auto [mantissa, exponent] = torch::frexp(magnitude);
  const torch::Tensor below = exponent.to(torch::kInt64) - 1;  // magnitude in [2^below, 2^(below+1))
  // The midpoint of [2^below, 2^(below+1)] is 1.5 * 2^below, i.e. mantissa 0.75;
  // a tie stays at 2^below (the smaller magnitude), as in Log2Levels::encode.
  torch::Tensor e = below + (mantissa > 0.75).to(torch::kInt64);
  e = torch::where(torch::isinf(magnitude), e_max.expand_as(e), e);
  e = torch::maximum(torch::minimum(e, e_max), e_min);
  // |x| <= 2^(e_min - 1) rounds to zero (ties to zero); anything above it and
  // below 2^e_min is nearer 2^e_min than 0.
  const torch::Tensor to_zero =
      (magnitude == 0) | (below < e_min - 1) | ((below == e_min - 1) & (mantissa == 0.5));
  const torch::Tensor value = torch::where(x < 0, -pow2(e), pow2(e)).to(x.scalar_type());
  torch::Tensor result = torch::where(to_zero, torch::zeros_like(x), value);
  return torch::where(torch::isnan(x), x, result);
}

torch::Tensor ceil_log2(const torch::Tensor& m, int64_t fallback) {
  torch::NoGradGuard no_grad;
  auto [mantissa, exponent] = torch::frexp(m);
  const torch::Tensor e = exponent.to(torch::kInt64);
  // m in [2^(e-1), 2^e): ceil(log2 m) is e - 1 only when m is exactly 2^(e-1).
  const torch::Tensor ceiling = torch::where(mantissa == 0.5, e - 1, e);
  return torch::where((m > 0) & torch::isfinite(m), ceiling, torch::full_like(ceiling, fallback));
}

std::vector<double> spec_scales(const torch::Tensor& per_channel) {
  const torch::Tensor values = per_channel.detach().to(torch::kFloat64).contiguous().cpu();
  std::vector<double> scales(values.data_ptr<double>(), values.data_ptr<double>() + values.numel());
  for (double& s : scales)
    if (!(std::isfinite(s) && s > 0.0)) s = 1.0;
  return scales;
}

void replace_data(torch::Tensor& registered, const torch::Tensor& value) {
  torch::NoGradGuard no_grad;
  registered.set_data(value.detach().clone());
}

std::vector<double> read_numbers(const JsonReader& reader, const std::string& key, std::vector<double> fallback,
                                 double min, double max) {
  const nlohmann::json* v = reader.raw(key);
  if (!v) return fallback;
  const std::string expectation = fmt::format("a non-empty array of numbers in [{}, {}]", min, max);
  if (!v->is_array() || v->empty()) reader.fail(key, expectation);
  std::vector<double> out;
  for (size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    const double d = item.is_number() ? item.get<double>() : std::nan("");
    if (!(d >= min && d <= max)) {
      throw ConfigError(fmt::format("{}: {}/{}: expected a number in [{}, {}], got {}", reader.file(),
                                    reader.pointer_of(key), i, min, max, describe_json(item)));
    }
    out.push_back(d);
  }
  return out;
}

std::string params_context(const std::string& algorithm) { return "quantizer " + algorithm; }

}  // namespace bitlab::train::nonuniform
