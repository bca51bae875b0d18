#include "train/calibration/range_observer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab::train {

CalibrationMethod calibration_method_from_string(const std::string& name) {
  if (name == "minmax") return CalibrationMethod::kMinMax;
  if (name == "ema") return CalibrationMethod::kEma;
  if (name == "percentile") return CalibrationMethod::kPercentile;
  if (name == "mse") return CalibrationMethod::kMse;
  throw ConfigError(fmt::format("calibration method \"{}\": expected minmax, ema, percentile or mse", name));
}

std::string to_string(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kMinMax: return "minmax";
    case CalibrationMethod::kEma: return "ema";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kMse: return "mse";
  }
  return "?";
}

RangeObserver::RangeObserver(CalibrationOptions options)
    : options_(options), generator_(at::detail::createCPUGenerator(options.seed)) {}

void RangeObserver::observe(const torch::Tensor& x) {
  auto flat = x.detach().to(torch::kCPU, torch::kFloat32).reshape({-1});
  if (flat.numel() == 0) return;
  double lo = flat.min().item<double>(), hi = flat.max().item<double>();
  if (batches_ == 0) {
    min_ = ema_min_ = lo;
    max_ = ema_max_ = hi;
  } else {
    min_ = std::min(min_, lo);
    max_ = std::max(max_, hi);
    ema_min_ = options_.ema_decay * ema_min_ + (1 - options_.ema_decay) * lo;
    ema_max_ = options_.ema_decay * ema_max_ + (1 - options_.ema_decay) * hi;
  }
  ++batches_;
  // Keep an even share of every batch so later batches are not under-represented.
  int64_t share = std::max<int64_t>(1, options_.max_samples / std::max<int64_t>(1, options_.batches));
  if (flat.numel() > share) {
    flat = flat.index_select(0, torch::randperm(flat.numel(), generator_, torch::kInt64).narrow(0, 0, share));
  }
  samples_ = samples_.defined() ? torch::cat({samples_, flat}) : flat.clone();
  if (samples_.numel() > options_.max_samples) {
    samples_ = samples_.index_select(
        0, torch::randperm(samples_.numel(), generator_, torch::kInt64).narrow(0, 0, options_.max_samples));
  }
}

double RangeObserver::mse_clip(int bits, bool is_signed) const {
  auto x = is_signed ? samples_ : samples_.clamp_min(0);
  double top = is_signed ? x.abs().max().item<double>() : x.max().item<double>();
  if (top <= 0) return 0;
  double qmax = is_signed ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
  if (qmax < 1) qmax = 1;  // 1-bit signed: one positive level
  double qmin = is_signed ? -qmax : 0;
  double best_clip = top, best_error = INFINITY;
  // A grid over clipping ratios: fine enough that the error curve's minimum
  // (flat near its optimum) is found within a fraction of a percent.
  for (int k = 10; k <= 200; ++k) {
    double clip = top * k / 200.0;
    double scale = clip / qmax;
    auto q = torch::clamp(torch::round(x / scale), qmin, qmax) * scale;
    double error = (q - x).pow(2).mean().item<double>();
    if (error < best_error) {
      best_error = error;
      best_clip = clip;
    }
  }
  return best_clip;
}

std::pair<double, double> RangeObserver::range(int bits, bool is_signed) const {
  if (batches_ == 0) throw std::logic_error("RangeObserver::range called before any observation");
  double hi = 0;
  switch (options_.method) {
    case CalibrationMethod::kMinMax: hi = is_signed ? std::max(-min_, max_) : max_; break;
    case CalibrationMethod::kEma: hi = is_signed ? std::max(-ema_min_, ema_max_) : ema_max_; break;
    case CalibrationMethod::kPercentile: {
      auto v = is_signed ? samples_.abs() : samples_.clamp_min(0);
      auto k = static_cast<int64_t>(std::ceil(options_.percentile / 100.0 * static_cast<double>(v.numel())));
      k = std::clamp<int64_t>(k, 1, v.numel());
      hi = std::get<0>(v.kthvalue(k)).item<double>();
      break;
    }
    case CalibrationMethod::kMse: hi = mse_clip(bits, is_signed); break;
  }
  hi = std::max(hi, 1e-8);  // an all-zero activation still needs a positive scale
  return {is_signed ? -hi : 0.0, hi};
}

}  // namespace bitlab::train
