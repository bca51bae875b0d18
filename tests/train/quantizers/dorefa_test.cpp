#include "uniform_test_util.h"

namespace bitlab::train {
namespace {

using namespace testing;
using ::testing::HasSubstr;

TEST(DorefaQuantizer, WeightsLandOnLevels) {
  for (int bits : kBits) {
    for (bool per_channel : {false, true}) {
      SCOPED_TRACE(::testing::Message() << bits << " bits, per_channel " << per_channel);
      auto q = make_quantizer(weight_options("dorefa", bits, per_channel));
      auto w = sample_weights();
      q->initialize(w);
      q->set_progress(1.0);
      expect_on_levels(q, w);
      // 2^k levels: alpha * (2i / (2^k - 1) - 1), symmetric and without 0.
      const auto values = q->levels().values;
      EXPECT_EQ(values.size(1), std::int64_t{1} << bits);
      EXPECT_TRUE(torch::equal(values, -values.flip(1)));
      EXPECT_FALSE((values == 0).any().item<bool>());
    }
  }
}

TEST(DorefaQuantizer, TwoBitWeightLevelsAreScaledByMeanAbs) {
  auto q = make_quantizer(weight_options("dorefa", 2, true));
  auto w = sample_weights();
  q->forward(w);  // refreshes alpha from the latent weights
  auto alpha = named(q->named_buffers(), "alpha");
  EXPECT_TRUE(torch::allclose(alpha, w.abs().reshape({kChannels, -1}).mean(1)));
  auto ratio = q->levels().values / alpha.unsqueeze(1);
  EXPECT_TRUE(torch::allclose(ratio, torch::tensor({-1.0f, -1.0f / 3, 1.0f / 3, 1.0f}).expand({kChannels, 4})))
      << ratio;
  // Storage: odd codes -3, -1, 1, 3 of a 3-bit narrow signed spec with scale alpha / 3.
  const LevelSet lv = q->levels();
  EXPECT_EQ(lv.spec.bits, 3);
  EXPECT_TRUE(lv.spec.narrow_range);
  EXPECT_NEAR(lv.spec.scales[1], alpha[1].item<double>() / 3, 1e-7);
}

TEST(DorefaQuantizer, OneBitWeightsAreMeanAbsTimesSign) {
  auto q = make_quantizer(weight_options("dorefa", 1, false));
  auto w = torch::tensor({-0.5f, 0.25f, 1.0f, -2.25f});
  auto out = q->forward(w);
  EXPECT_TRUE(torch::equal(out, torch::tensor({-1.0f, 1.0f, 1.0f, -1.0f})));
}

TEST(DorefaQuantizer, WeightGradientIsStraightThroughRoundingAndAutogradThroughTanh) {
  // With round as the identity, the forward is the smooth surrogate
  //   alpha * (2 w' - 1),  w' = tanh(w) / (2 max|tanh(w)|) + 1/2,
  // whose gradient we take by finite differences (alpha is detached).
  for (int bits : kBits) {
    for (bool per_channel : {false, true}) {
      SCOPED_TRACE(::testing::Message() << bits << " bits, per_channel " << per_channel);
      auto q = make_quantizer(weight_options("dorefa", bits, per_channel));
      q->to(torch::kFloat64);
      torch::manual_seed(3);
      auto w = torch::randn({kChannels, 5}, torch::kFloat64);
      auto autograd = input_gradient(q, w);
      auto alpha = per_channel ? w.abs().mean(1, true) : w.abs().mean();
      auto surrogate = [&](const torch::Tensor& v) {
        auto t = torch::tanh(v);
        auto m = per_channel ? std::get<0>(t.abs().max(1, true)) : t.abs().max();
        return alpha * (2.0 * (t / (2.0 * m) + 0.5) - 1.0);
      };
      auto numeric = numeric_gradient(surrogate, w, 1e-6);
      EXPECT_TRUE(torch::allclose(autograd, numeric, 1e-5, 1e-7)) << autograd << numeric;
    }
  }
}

TEST(DorefaQuantizer, ActivationsLandOnLevelsAndClipToRange) {
  for (int bits : kBits) {
    for (double range : {1.0, 2.5}) {
      SCOPED_TRACE(::testing::Message() << bits << " bits, range " << range);
      auto q = make_quantizer(activation_options("dorefa", bits, {{"range", range}}));
      q->set_progress(1.0);
      auto x = sample_activations() - 0.5;
      expect_on_levels(q, x);
      const LevelSet lv = q->levels();
      EXPECT_FLOAT_EQ(static_cast<float>(lv.spec.scales[0]), static_cast<float>(range / ((1 << bits) - 1)));
      EXPECT_FLOAT_EQ(lv.values[0][-1].item<float>(), static_cast<float>(range));
      EXPECT_EQ(lv.values[0][0].item<float>(), 0.0f);
    }
  }
}

TEST(DorefaQuantizer, ActivationGradientIsOneInsideTheClip) {
  auto q = make_quantizer(activation_options("dorefa", 4));
  auto x = torch::tensor({-0.5f, 0.01f, 0.5f, 0.99f, 1.5f});
  EXPECT_TRUE(torch::equal(input_gradient(q, x), torch::tensor({0.0f, 1.0f, 1.0f, 1.0f, 0.0f})));
}

TEST(DorefaQuantizer, InitializeSetsAlphaAndSetRangeIsIgnored) {
  auto q = make_quantizer(weight_options("dorefa", 4, true));
  q->initialize(torch::tensor({{-0.5f, 0.25f}, {1.0f, -2.0f}, {0.0f, 0.0f}}));
  // mean|w| per channel; an all-zero channel gets 1.
  EXPECT_TRUE(torch::equal(named(q->named_buffers(), "alpha"), torch::tensor({0.375f, 1.5f, 1.0f})));
  q->set_range(torch::tensor({-10.0f}), torch::tensor({10.0f}));
  EXPECT_TRUE(torch::equal(named(q->named_buffers(), "alpha"), torch::tensor({0.375f, 1.5f, 1.0f})));

  auto a = make_quantizer(activation_options("dorefa", 8));
  a->set_range(torch::tensor({0.0f}), torch::tensor({10.0f}));
  EXPECT_FLOAT_EQ(static_cast<float>(a->levels().spec.scales[0]), 1.0f / 255);
}

TEST(DorefaQuantizer, ParamsValidation) {
  EXPECT_THAT(config_error_message(activation_options("dorefa", 4, {{"rnge", 2.0}})), HasSubstr("\"rnge\""));
  // Weights have no clip range.
  EXPECT_THAT(config_error_message(weight_options("dorefa", 4, false, {{"range", 2.0}})), HasSubstr("\"range\""));
  EXPECT_THAT(config_error_message(activation_options("dorefa", 4, {{"range", 0.0}})), HasSubstr("/range"));
  // Weight codes take bits + 1 bits.
  EXPECT_THAT(config_error_message(weight_options("dorefa", 16, false)), HasSubstr("bits"));
}

TEST(DorefaQuantizer, BuiltThroughTheRegistry) {
  auto w = make_quantizer(weight_options("dorefa", 4, true));
  EXPECT_EQ(w->named_parameters().size(), 0u);
  EXPECT_EQ(named(w->named_buffers(), "alpha").numel(), kChannels);
  auto a = make_quantizer(activation_options("dorefa", 4));
  EXPECT_EQ(a->named_buffers().size(), 0u);
  EXPECT_EQ(a->levels().values.size(1), 16);
}

}  // namespace
}  // namespace bitlab::train
