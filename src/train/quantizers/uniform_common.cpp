#include "train/quantizers/uniform_common.h"

#include <fmt/format.h>

#include <span>
#include <stdexcept>

#include "common/error.h"
#include "quant/range.h"
#include "train/quantizers/ste_ops.h"

namespace bitlab::train::detail {

CodeRange check_uniform_options(const QuantizerOptions& options, const std::string& algorithm) {
  if (options.granularity == quant::Granularity::PerChannel) {
    if (options.channels < 1) {
      throw ConfigError(fmt::format("quantizer {}: per-channel quantisation needs channels >= 1, got {}",
                                    algorithm, options.channels));
    }
    if (options.axis < 0) {
      throw ConfigError(fmt::format("quantizer {}: per-channel axis must be >= 0, got {}", algorithm, options.axis));
    }
  }
  CodeRange range;
  try {
    range.qmin = quant::code_min(options.bits, options.is_signed, options.narrow_range);
    range.qmax = quant::code_max(options.bits, options.is_signed, options.narrow_range);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(fmt::format("quantizer {}: {}", algorithm, e.what()));
  }
  // Signed 1-bit codes are {-1, 0}: no positive level, so a symmetric scale
  // (max|x| / qmax) is undefined. Binary weights are the "binary" algorithm.
  if (range.qmax < 1) {
    throw ConfigError(fmt::format("quantizer {}: signed {}-bit codes have no positive level; use bits >= 2 "
                                  "(or the \"binary\" algorithm for 1-bit weights)",
                                  algorithm, options.bits));
  }
  return range;
}

std::int64_t channel_count(const QuantizerOptions& options) {
  return options.granularity == quant::Granularity::PerChannel ? options.channels : 1;
}

const nlohmann::json& params_of(const QuantizerOptions& options) {
  static const nlohmann::json empty = nlohmann::json::object();
  return options.params.is_null() ? empty : options.params;
}

torch::Tensor broadcast(const torch::Tensor& p, const QuantizerOptions& options, const torch::Tensor& x) {
  // Per tensor: a 0-dim view, so the output keeps x's shape even for a 0-dim x.
  if (options.granularity != quant::Granularity::PerChannel) return p.reshape({});
  TORCH_CHECK(options.axis < x.dim() && x.size(options.axis) == p.numel(), "per-channel quantiser with ",
              p.numel(), " channels along axis ", options.axis, " got a tensor of shape ", x.sizes());
  return ste::per_channel_view(p, options.axis, x.dim());
}

torch::Tensor channel_rows(const torch::Tensor& x, const QuantizerOptions& options) {
  if (options.granularity != quant::Granularity::PerChannel) return x.reshape({1, -1});
  const std::int64_t channels = channel_count(options);
  TORCH_CHECK(options.axis < x.dim() && x.size(options.axis) == channels, "per-channel quantiser with ",
              channels, " channels along axis ", options.axis, " got a tensor of shape ", x.sizes());
  return x.transpose(0, options.axis).reshape({channels, -1});
}

torch::Tensor per_channel_bound(const torch::Tensor& bound, const QuantizerOptions& options, const char* what) {
  const std::int64_t channels = channel_count(options);
  auto b = bound.detach().to(torch::kFloat32).reshape({-1});
  TORCH_CHECK(b.numel() == channels || b.numel() == 1, "set_range: ", what, " has ", b.numel(),
              " values; expected ", channels, " (one per channel) or 1");
  return b.numel() == channels ? b.clone() : b.expand({channels}).clone();
}

quant::QuantSpec make_spec(const QuantizerOptions& options, const torch::Tensor& scales,
                           const torch::Tensor& zero_points, bool symmetric, quant::ScaleKind scale_kind) {
  quant::QuantSpec spec;
  spec.bits = options.bits;
  spec.is_signed = options.is_signed;
  spec.narrow_range = options.narrow_range;
  spec.symmetric = symmetric;
  spec.granularity = options.granularity;
  spec.axis = static_cast<int>(options.axis);
  spec.scale_kind = scale_kind;
  auto s = scales.detach().to(torch::kCPU).to(torch::kFloat64).contiguous();
  spec.scales.assign(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
  spec.zero_points.clear();
  if (zero_points.defined()) {
    auto z = zero_points.detach().to(torch::kCPU).to(torch::kFloat64).contiguous();
    for (std::int64_t c = 0; c < z.numel(); ++c) spec.zero_points.push_back(static_cast<std::int32_t>(z.data_ptr<double>()[c]));
  }
  spec.validate();
  return spec;
}

torch::Tensor grid_values(const torch::Tensor& scales, const torch::Tensor& zero_points, std::int64_t kmin,
                          std::int64_t kmax) {
  auto s = scales.detach().to(torch::kFloat32).reshape({-1, 1});
  auto k = torch::arange(kmin, kmax + 1, s.options()).reshape({1, -1});
  if (zero_points.defined()) k = k - zero_points.detach().to(torch::kFloat32).reshape({-1, 1});
  return (k * s).contiguous();
}

FittedScales fit_scales(const QuantizerOptions& options, bool affine, const torch::Tensor& min,
                        const torch::Tensor& max) {
  auto mins = per_channel_bound(min, options, "min").to(torch::kFloat64).contiguous();
  auto maxs = per_channel_bound(max, options, "max").to(torch::kFloat64).contiguous();
  quant::QuantSpec format;
  format.bits = options.bits;
  format.is_signed = options.is_signed;
  format.narrow_range = options.narrow_range;
  format.symmetric = !affine;
  format.granularity = options.granularity;
  format.axis = static_cast<int>(options.axis);
  const std::span<const double> lo(mins.data_ptr<double>(), static_cast<std::size_t>(mins.numel()));
  const std::span<const double> hi(maxs.data_ptr<double>(), static_cast<std::size_t>(maxs.numel()));
  const quant::QuantSpec fitted = options.granularity == quant::Granularity::PerChannel
                                      ? quant::fit_range(format, lo, hi)
                                      : quant::fit_range(format, lo[0], hi[0]);
  std::vector<float> scales(fitted.scales.begin(), fitted.scales.end());
  std::vector<float> zero_points;
  for (std::size_t c = 0; c < fitted.num_channels(); ++c) zero_points.push_back(static_cast<float>(fitted.zero_point(c)));
  // A scale that underflows float32 (denormal-sized data) becomes 1, like fit_range's all-zero case.
  return {positive_or_one(torch::tensor(scales, torch::kFloat32)), torch::tensor(zero_points, torch::kFloat32)};
}

torch::Tensor positive_or_one(const torch::Tensor& v) {
  auto ok = torch::isfinite(v) & (v > 0);
  return torch::where(ok, v, torch::ones_like(v));
}

}  // namespace bitlab::train::detail
