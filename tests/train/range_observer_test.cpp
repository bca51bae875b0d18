#include "train/calibration/range_observer.h"

#include <gtest/gtest.h>

namespace bitlab::train {
namespace {

RangeObserver observed(CalibrationMethod method, const std::vector<torch::Tensor>& batches) {
  CalibrationOptions o;
  o.method = method;
  o.batches = static_cast<int64_t>(batches.size());
  o.percentile = 90;
  o.ema_decay = 0.5;
  RangeObserver r(o);
  for (const auto& b : batches) r.observe(b);
  return r;
}

TEST(RangeObserver, MinMaxAndEma) {
  std::vector<torch::Tensor> batches = {torch::tensor({-1.0f, 2.0f}), torch::tensor({-3.0f, 4.0f})};
  auto minmax = observed(CalibrationMethod::kMinMax, batches);
  EXPECT_EQ(minmax.range(8, true), std::make_pair(-4.0, 4.0));
  EXPECT_EQ(minmax.range(8, false), std::make_pair(0.0, 4.0));
  // EMA with decay 0.5: max 0.5*2 + 0.5*4 = 3, min 0.5*-1 + 0.5*-3 = -2.
  auto ema = observed(CalibrationMethod::kEma, batches);
  EXPECT_DOUBLE_EQ(ema.range(8, false).second, 3.0);
  EXPECT_DOUBLE_EQ(ema.range(8, true).second, 3.0);
}

TEST(RangeObserver, PercentileIgnoresOutliers) {
  auto x = torch::arange(1, 101, torch::kFloat32);  // 1..100
  auto r = observed(CalibrationMethod::kPercentile, {x});
  EXPECT_DOUBLE_EQ(r.range(8, false).second, 90.0);
}

TEST(RangeObserver, MseClipsHeavyTailsButNotUniformData) {
  torch::manual_seed(0);
  // Gaussian with a few huge outliers: the MSE-optimal 4-bit clip is far below the max.
  auto gauss = torch::randn({50000});
  gauss.index_put_({torch::indexing::Slice(0, 5)}, 40.0);
  auto heavy = observed(CalibrationMethod::kMse, {gauss});
  double clip = heavy.range(4, true).second;
  EXPECT_LT(clip, 10.0);
  EXPECT_GT(clip, 1.5);
  // Uniform data: clipping only hurts, the optimum is (close to) the max.
  auto uniform = torch::rand({50000});
  auto flat = observed(CalibrationMethod::kMse, {uniform});
  EXPECT_GT(flat.range(8, false).second, 0.95);
}

TEST(RangeObserver, AllZeroStillGivesAPositiveRange) {
  auto r = observed(CalibrationMethod::kMinMax, {torch::zeros({10})});
  EXPECT_GT(r.range(8, false).second, 0.0);
}

}  // namespace
}  // namespace bitlab::train
