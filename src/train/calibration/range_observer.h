#pragma once
// Post-training calibration of activation ranges (docs/algorithms.md, "PTQ").
// An observer sees the float activations of a few calibration batches and then
// proposes the range a quantiser should cover, by one of four methods:
//   minmax      the extreme values seen
//   ema         exponential moving average of per-batch extremes (robust to outlier batches)
//   percentile  the p-th percentile of |x| (or of x for unsigned quantisers)
//   mse         the clipping value minimising the mean squared quantisation error
#include <torch/torch.h>

#include <string>
#include <utility>

namespace bitlab::train {

enum class CalibrationMethod { kMinMax, kEma, kPercentile, kMse };

CalibrationMethod calibration_method_from_string(const std::string& name);  // ConfigError if unknown
std::string to_string(CalibrationMethod method);

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::kMinMax;
  int64_t batches = 16;         // calibration batches
  int64_t batch_size = 128;
  double percentile = 99.99;    // percentile method
  double ema_decay = 0.9;       // ema method: weight of the running value
  int64_t max_samples = 1 << 17;  // values kept (uniformly subsampled) for percentile and mse
  uint64_t seed = 0;
};

class RangeObserver {
 public:
  explicit RangeObserver(CalibrationOptions options);
  void observe(const torch::Tensor& x);
  bool empty() const { return batches_ == 0; }
  // The range for a quantiser of `bits` bits; unsigned ranges start at 0 and
  // signed ones are symmetric (bitlab's activation quantisers are symmetric).
  std::pair<double, double> range(int bits, bool is_signed) const;

 private:
  double mse_clip(int bits, bool is_signed) const;

  CalibrationOptions options_;
  int64_t batches_ = 0;
  double min_ = 0, max_ = 0, ema_min_ = 0, ema_max_ = 0;
  torch::Tensor samples_;
  torch::Generator generator_;
};

}  // namespace bitlab::train
