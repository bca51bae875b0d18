#include "uniform_test_util.h"

namespace bitlab::train {
namespace {

using namespace testing;
using ::testing::HasSubstr;

TEST(AnaQuantizer, WeightsLandOnLevelsAtTheEndOfTraining) {
  for (int bits : kBits) {
    for (bool per_channel : {false, true}) {
      SCOPED_TRACE(::testing::Message() << bits << " bits, per_channel " << per_channel);
      auto q = make_quantizer(weight_options("ana", bits, per_channel));
      auto w = sample_weights();
      q->initialize(w * 0.7);
      q->set_progress(1.0);
      expect_on_levels(q, w);
    }
  }
}

TEST(AnaQuantizer, ActivationsLandOnLevelsFromTheEndProgressOn) {
  for (int bits : kBits) {
    SCOPED_TRACE(::testing::Message() << bits << " bits");
    auto q = make_quantizer(activation_options("ana", bits, {{"end", 0.5}}));
    auto x = sample_activations();
    q->initialize(x * 0.8);
    q->set_progress(0.5);  // sigma reaches 0 at "end"
    expect_on_levels(q, x);
    q->set_progress(1.0);
    expect_on_levels(q, x);
  }
}

TEST(AnaQuantizer, SigmaOneIsTheIdentityInsideTheRange) {
  auto q = make_quantizer(weight_options("ana", 4, false));
  q->set_range(torch::tensor({-1.0f}), torch::tensor({1.0f}));
  q->set_progress(0.0);  // sigma = sigma0 = 1
  auto x = torch::linspace(-0.95, 0.95, 41);
  EXPECT_TRUE(torch::allclose(q->forward(x), x, 1e-5, 1e-6));
  // ... and clamps outside it.
  EXPECT_FLOAT_EQ(q->forward(torch::tensor({3.0f})).item<float>(), 1.0f);
}

TEST(AnaQuantizer, ForwardIsTheExpectationOfNoisyRounding) {
  // sigma0 = 1, end = 0.8: progress 0.4 gives sigma = 0.5. With v = x / s and
  // f = frac(v): floor(v) + clamp((f - 0.5) / 0.5 + 0.5, 0, 1).
  auto q = make_quantizer(weight_options("ana", 8, false));
  q->set_range(torch::tensor({-1.27f}), torch::tensor({1.27f}));  // s = 0.01
  q->set_progress(0.4);
  auto f = torch::tensor({0.1, 0.3, 0.5, 0.6, 0.9}, torch::kFloat64);
  auto v = 3.0 + f;
  auto expected = (3.0 + torch::clamp((f - 0.5) / 0.5 + 0.5, 0.0, 1.0)) * 0.01;
  auto out = q->forward((v * 0.01).to(torch::kFloat32)).to(torch::kFloat64);
  EXPECT_TRUE(torch::allclose(out, expected, 1e-4, 1e-6)) << out << expected;
}

TEST(AnaQuantizer, InputGradientMatchesFiniteDifferences) {
  for (int bits : kBits) {
    for (double progress : {0.0, 0.2, 0.4, 0.6}) {
      SCOPED_TRACE(::testing::Message() << bits << " bits, progress " << progress);
      auto q = make_quantizer(weight_options("ana", bits, true));
      q->to(torch::kFloat64);
      q->set_range(torch::tensor({-1.0, -2.0, -0.5}), torch::tensor({1.0, 2.0, 0.5}));
      q->set_progress(progress);
      const double sigma = 1.0 - progress / 0.8;
      // Points whose fractional code f keeps 2e-3 away from the ramp's kinks
      // at 0.5 +- sigma / 2 and from the integers; some are outside the range.
      torch::manual_seed(4);
      auto s = named(q->named_buffers(), "scale").view({kChannels, 1});
      auto qmax = static_cast<double>((1 << (bits - 1)) - 1);
      auto k = torch::randint(static_cast<std::int64_t>(-qmax - 3), static_cast<std::int64_t>(qmax + 3),
                              {kChannels, 12}, torch::kFloat64);
      auto frac = torch::rand({kChannels, 12}, torch::kFloat64) * 0.96 + 0.02;
      auto near_kink = ((frac - (0.5 - sigma / 2)).abs() < 2e-3) | ((frac - (0.5 + sigma / 2)).abs() < 2e-3);
      frac = torch::where(near_kink, frac + 5e-3, frac);
      auto x = (k + frac) * s;
      auto autograd = input_gradient(q, x);
      auto numeric = numeric_gradient([&](const torch::Tensor& v) { return q->forward(v); }, x, 1e-6 * s.min().item<double>());
      EXPECT_TRUE(torch::allclose(autograd, numeric, 1e-5, 1e-5)) << autograd << numeric;
      // Zero outside the code range, 1 / sigma on the ramps.
      auto code = x / s;
      EXPECT_TRUE(torch::all(autograd.masked_select((code < -qmax) | (code > qmax)) == 0).item<bool>());
      if (sigma < 1.0) {
        EXPECT_NEAR(autograd.max().item<double>(), 1.0 / sigma, 1e-9);
      }
    }
  }
}

TEST(AnaQuantizer, HardRoundingUsesTheStraightThroughGradient) {
  auto q = make_quantizer(weight_options("ana", 4, false));
  q->set_range(torch::tensor({-0.7f}), torch::tensor({0.7f}));
  q->set_progress(0.9);
  auto x = torch::tensor({-1.0f, -0.33f, 0.05f, 0.69f, 0.8f});
  EXPECT_TRUE(torch::equal(input_gradient(q, x), torch::tensor({0.0f, 1.0f, 1.0f, 1.0f, 0.0f})));
}

TEST(AnaQuantizer, InitializeAndSetRangeMatchSte) {
  auto q = make_quantizer(weight_options("ana", 4, true));
  q->initialize(torch::tensor({{-0.5f, 0.25f}, {0.1f, -2.0f}, {0.7f, 0.0f}}));
  EXPECT_TRUE(torch::allclose(named(q->named_buffers(), "scale"), torch::tensor({0.5f / 7, 2.0f / 7, 0.7f / 7})));
  auto a = make_quantizer(activation_options("ana", 4, {{"affine", true}}));
  a->set_range(torch::tensor({-1.0f}), torch::tensor({3.0f}));
  EXPECT_FLOAT_EQ(named(a->named_buffers(), "scale").item<float>(), 4.0f / 15);
  EXPECT_EQ(named(a->named_buffers(), "zero_point").item<float>(), 4.0f);
  EXPECT_EQ(a->named_parameters().size(), 0u);
}

TEST(AnaQuantizer, ParamsValidation) {
  EXPECT_THAT(config_error_message(weight_options("ana", 4, false, {{"sigma", 0.5}})), HasSubstr("\"sigma\""));
  EXPECT_THAT(config_error_message(weight_options("ana", 4, false, {{"sigma0", 1.5}})), HasSubstr("/sigma0"));
  EXPECT_THAT(config_error_message(weight_options("ana", 4, false, {{"sigma0", 0.0}})), HasSubstr("/sigma0"));
  EXPECT_THAT(config_error_message(weight_options("ana", 4, false, {{"end", 0.0}})), HasSubstr("/end"));
}

TEST(AnaQuantizer, BuiltThroughTheRegistry) {
  auto q = make_quantizer(activation_options("ana", 4, {{"sigma0", 0.5}, {"end", 1.0}}));
  EXPECT_EQ(q->levels().kind, "uniform");
  EXPECT_EQ(q->levels().values.size(1), 16);
  EXPECT_TRUE(algorithm_supports("ana", TensorRole::kActivation));
}

}  // namespace
}  // namespace bitlab::train
