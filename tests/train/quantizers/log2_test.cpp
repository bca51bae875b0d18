#include "train/quantizers/log2.h"

#include <cmath>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "nonuniform_test_util.h"
#include "quant/log2.h"
#include "train/quantizers/algorithms.h"

namespace bitlab::train {
namespace {

using namespace testing_nonuniform;

// Ties and near-ties of quant::Log2Levels' decision boundaries for the
// window [e_min, e_max], plus random magnitudes over a wide range.
torch::Tensor boundary_values(int e_min, int e_max) {
  std::vector<float> v;
  for (int e = e_min - 3; e <= e_max; ++e) {
    for (float m : {1.0f, 1.5f, 0.5f}) {
      const float b = std::ldexp(m, e);
      for (float x : {b, std::nextafter(b, 0.0f), std::nextafter(b, 10.0f)}) {
        v.push_back(x);
        v.push_back(-x);
      }
    }
  }
  v.push_back(0.0f);
  v.push_back(-0.0f);
  return torch::tensor(v);
}

::testing::AssertionResult agrees_with_log2_levels(const torch::Tensor& x, const torch::Tensor& y, int bits,
                                                   int e_max) {
  const quant::Log2Levels levels({.bits = bits, .max_exponent = e_max});
  const auto xs = x.contiguous();
  for (int64_t i = 0; i < xs.numel(); ++i) {
    const float in = xs[i].item<float>();
    const float expected = levels.quantise(in);
    const float got = y[i].item<float>();
    if (got != expected) {
      return ::testing::AssertionFailure() << "x = " << in << " (bits " << bits << ", e_max " << e_max
                                           << "): got " << got << ", Log2Levels gives " << expected;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(Log2, AgreesWithQuantLog2LevelsIncludingTies) {
  for (int bits : {2, 3, 4, 6}) {
    torch::manual_seed(bits);
    const int count = (1 << (bits - 1)) - 1;
    // max|x| = 0.75 => e_max = ceil(log2 0.75) = 0.
    const int e_max = 0;
    torch::Tensor random = torch::randn({200}) * torch::pow(2.0, torch::randint(-12, 1, {200}).to(torch::kFloat32));
    torch::Tensor x = torch::cat({boundary_values(e_max - count + 1, e_max - 1), random.clamp(-0.7, 0.7),
                                  torch::tensor({0.75f})});
    Log2 q(weight_options("log2", bits));
    q->set_progress(1.0);
    const torch::Tensor y = q->forward(x);
    ASSERT_EQ(q->max_exponent().item<int64_t>(), e_max);
    EXPECT_TRUE(agrees_with_log2_levels(x, y, bits, e_max)) << "bits " << bits;
    EXPECT_TRUE(on_levels(y, q->levels()));
  }
}

TEST(Log2, MaxExponentIsCeilLog2OfTheLargestMagnitude) {
  Log2 q(weight_options("log2", 4));
  for (auto [max, e_max] : std::vector<std::pair<float, int64_t>>{
           {0.3f, -1}, {0.5f, -1}, {0.51f, 0}, {1.0f, 0}, {3.0f, 2}, {std::ldexp(1.0f, -20), -20}}) {
    q->forward(torch::tensor({0.5f * max, -max}));
    EXPECT_EQ(q->max_exponent().item<int64_t>(), e_max) << "max|w| = " << max;
  }
}

TEST(Log2, PerChannelWindows) {
  // Channel 0 spans up to 4 (e_max 2), channel 1 up to 1/8 (e_max -3).
  const torch::Tensor w = torch::tensor({{4.0f, -0.3f, 0.01f, 1.4f}, {0.125f, -0.05f, 0.0009f, 0.02f}});
  Quantizer q = make_quantizer(per_channel(weight_options("log2", 3), 2));
  q->set_progress(1.0);
  const torch::Tensor y = q->forward(w);
  EXPECT_TRUE(agrees_with_log2_levels(w[0], y[0], 3, 2));
  EXPECT_TRUE(agrees_with_log2_levels(w[1], y[1], 3, -3));
  const LevelSet levels = q->levels();
  EXPECT_EQ(levels.kind, "log2");
  EXPECT_TRUE(on_levels(y, levels));
  EXPECT_TRUE(sorted_rows(levels.values));
  EXPECT_NO_THROW(levels.spec.validate());
  EXPECT_EQ(levels.spec.scale_kind, quant::ScaleKind::PowerOfTwo);
  // 3 bits: exponents [e_max - 2, e_max]; the scale is 2^e_min.
  EXPECT_EQ(levels.spec.scales, (std::vector<double>{1.0, 0.03125}));
  const std::vector<float> row1 = quant::Log2Levels({.bits = 3, .max_exponent = -3}).levels();
  EXPECT_TRUE(torch::equal(levels.values[1], torch::tensor(row1)));
}

TEST(Log2, GradientIsStraightThrough) {
  torch::manual_seed(6);
  const torch::Tensor w = torch::randn({5, 7}).requires_grad_();
  const torch::Tensor upstream = torch::randn({5, 7});
  Quantizer q = make_quantizer(weight_options("log2", 4));
  (q->forward(w) * upstream).sum().backward();
  EXPECT_TRUE(torch::equal(w.grad(), upstream));
}

TEST(Log2, RejectsBadOptions) {
  EXPECT_THROW(make_quantizer(weight_options("log2", 1)), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("log2", 9)), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("log2", 4, {{"max_exponent", 0}})), ConfigError);
  QuantizerOptions activations = weight_options("log2", 4);
  activations.role = TensorRole::kActivation;
  EXPECT_THROW(make_log2_quantizer(activations), ConfigError);
}

}  // namespace
}  // namespace bitlab::train
