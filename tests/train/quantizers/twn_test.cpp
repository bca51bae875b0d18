#include "train/quantizers/twn.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "nonuniform_test_util.h"
#include "train/quantizers/algorithms.h"

namespace bitlab::train {
namespace {

using namespace testing_nonuniform;

TEST(Twn, ThresholdAndScaleOnAHandComputedTensor) {
  // mean|w| = 3.05 / 6, delta = 0.7 * that = 0.3558...; above it: 0.5, 0.9,
  // 1.2, so alpha = 2.6 / 3.
  const torch::Tensor w = torch::tensor({0.1f, -0.5f, 0.9f, -0.05f, 0.3f, -1.2f});
  Twn q(weight_options("twn", 2));
  q->set_progress(1.0);
  const torch::Tensor y = q->forward(w);
  EXPECT_NEAR(q->delta().item<float>(), 0.7 * 3.05 / 6.0, 1e-6);
  EXPECT_NEAR(q->alpha().item<float>(), 2.6 / 3.0, 1e-6);
  const float a = q->alpha().item<float>();
  EXPECT_TRUE(torch::equal(y, torch::tensor({0.0f, -a, a, 0.0f, 0.0f, -a})));
  const LevelSet levels = q->levels();
  EXPECT_EQ(levels.kind, "ternary");
  EXPECT_TRUE(torch::equal(levels.values, torch::tensor({{-a, 0.0f, a}})));
  EXPECT_TRUE(on_levels(y, levels));
  EXPECT_NO_THROW(levels.spec.validate());
  EXPECT_TRUE(levels.spec.narrow_range);
}

TEST(Twn, PerChannelThresholds) {
  // Row 0: mean 0.525, delta 0.3675, alpha 1.  Row 1: mean 0.5, delta 0.35,
  // above: 0.4, 0.6, 0.8, alpha 0.6.
  const torch::Tensor w = torch::tensor({{1.0f, -1.0f, 0.1f, 0.0f}, {0.2f, 0.4f, -0.6f, 0.8f}});
  Quantizer q = make_quantizer(per_channel(weight_options("twn", 2), 2));
  q->set_progress(1.0);
  const torch::Tensor y = q->forward(w);
  const torch::Tensor expected = torch::tensor({{1.0f, -1.0f, 0.0f, 0.0f}, {0.0f, 0.6f, -0.6f, 0.6f}});
  EXPECT_TRUE(torch::allclose(y, expected, 0, 1e-6));
  const LevelSet levels = q->levels();
  EXPECT_EQ(levels.values.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(on_levels(y, levels));
  EXPECT_TRUE(sorted_rows(levels.values));
  EXPECT_NEAR(levels.spec.scales[1], 0.6, 1e-6);
}

TEST(Twn, PerChannelAlongAnotherAxis) {
  torch::manual_seed(2);
  const torch::Tensor w = torch::randn({3, 5, 2});
  Quantizer q = make_quantizer(per_channel(weight_options("twn", 2), 5, 1));
  const torch::Tensor y = q->forward(w);
  EXPECT_TRUE(on_levels(y, q->levels(), 1));
  // Channel 2 alone gives the same result as a per-tensor TWN of it.
  Quantizer single = make_quantizer(weight_options("twn", 2));
  EXPECT_TRUE(torch::equal(single->forward(w.select(1, 2).contiguous()), y.select(1, 2)));
}

TEST(Twn, GradientIsStraightThrough) {
  torch::manual_seed(3);
  const torch::Tensor w = torch::randn({8, 4}).requires_grad_();
  const torch::Tensor upstream = torch::randn({8, 4});
  Quantizer q = make_quantizer(weight_options("twn", 2));
  (q->forward(w) * upstream).sum().backward();
  EXPECT_TRUE(torch::equal(w.grad(), upstream));
}

TEST(Twn, RejectsBadOptions) {
  EXPECT_THROW(make_quantizer(weight_options("twn", 3)), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("twn", 2, {{"delta", 0.7}})), ConfigError);
  QuantizerOptions activations = weight_options("twn", 2);
  activations.role = TensorRole::kActivation;
  EXPECT_THROW(make_quantizer(activations), ConfigError);
  EXPECT_THROW(make_twn_quantizer(activations), ConfigError);  // not only the registry
  EXPECT_THROW(make_quantizer(per_channel(weight_options("twn", 2), 0)), ConfigError);
}

TEST(Twn, WrongChannelCountIsAnError) {
  Quantizer q = make_quantizer(per_channel(weight_options("twn", 2), 3));
  EXPECT_THROW(q->forward(torch::randn({4, 2})), std::invalid_argument);
}

}  // namespace
}  // namespace bitlab::train
