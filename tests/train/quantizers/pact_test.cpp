#include "uniform_test_util.h"

namespace bitlab::train {
namespace {

using namespace testing;
using ::testing::HasSubstr;

torch::Tensor alpha_of(Quantizer& q) { return named(q->named_parameters(), "alpha"); }

TEST(PactQuantizer, ActivationsLandOnLevels) {
  for (int bits : kBits) {
    SCOPED_TRACE(::testing::Message() << bits << " bits");
    auto q = make_quantizer(activation_options("pact", bits));
    auto x = sample_activations();
    q->initialize(x * 0.5);  // alpha below the data's max, so some inputs clip
    q->set_progress(1.0);
    expect_on_levels(q, x - 0.5);
  }
}

TEST(PactQuantizer, WeightsLandOnLevels) {
  for (int bits : kBits) {
    for (bool per_channel : {false, true}) {
      for (bool narrow : {true, false}) {
        SCOPED_TRACE(::testing::Message() << bits << " bits, per_channel " << per_channel << ", narrow " << narrow);
        auto o = weight_options("pact", bits, per_channel);
        o.narrow_range = narrow;
        auto q = make_quantizer(o);
        auto w = sample_weights();
        q->initialize(w * 0.6);
        q->set_progress(1.0);
        expect_on_levels(q, w);
        // The symmetric clip never reaches the extra negative code of a full range.
        const auto values = q->levels().values;
        EXPECT_TRUE(torch::equal(values.select(1, 0), -values.select(1, values.size(1) - 1)));
      }
    }
  }
}

TEST(PactQuantizer, AlphaGradientIsTheClippedCount) {
  for (int bits : kBits) {
    SCOPED_TRACE(::testing::Message() << bits << " bits");
    auto q = make_quantizer(activation_options("pact", bits, {{"alpha", 2.0}}));
    auto x = torch::tensor({-1.0f, 0.3f, 1.2f, 1.9f, 2.5f, 7.0f});
    q->forward(x).sum().backward();
    // PACT eq. 3: d y_q / d alpha = 1 for x >= alpha, 0 otherwise (the step's
    // dependence on alpha is ignored inside the range).
    EXPECT_EQ(alpha_of(q).grad().item<float>(), 2.0f);
    EXPECT_TRUE(torch::equal(input_gradient(q, x), torch::tensor({0.0f, 1.0f, 1.0f, 1.0f, 0.0f, 0.0f})));
  }
}

TEST(PactQuantizer, AlphaGradientMatchesFiniteDifferencesAboveAlpha) {
  // Above alpha the forward is y_q = alpha, a differentiable function of alpha.
  for (int bits : kBits) {
    SCOPED_TRACE(::testing::Message() << bits << " bits");
    auto q = make_quantizer(activation_options("pact", bits, {{"alpha", 1.5}}));
    q->to(torch::kFloat64);
    auto x = torch::tensor({1.6, 3.0, 10.0}, torch::kFloat64);
    q->forward(x).sum().backward();
    const double autograd = alpha_of(q).grad().item<double>();
    auto forward_at = [&](double a) {
      torch::NoGradGuard no_grad;
      alpha_of(q).fill_(a);
      return q->forward(x).sum().item<double>();
    };
    const double h = 1e-4;  // x > alpha + h: the clipped set does not change
    const double numeric = (forward_at(1.5 + h) - forward_at(1.5 - h)) / (2 * h);
    EXPECT_NEAR(autograd, numeric, 1e-6);
    EXPECT_NEAR(autograd, 3.0, 1e-12);
  }
}

TEST(PactQuantizer, SignedWeightsClipSymmetrically) {
  auto q = make_quantizer(weight_options("pact", 4, false, {{"alpha", 1.0}}));
  auto w = torch::tensor({-3.0f, -1.0f, -0.5f, 0.2f, 1.0f, 2.0f, 4.0f});
  auto out = q->forward(w);
  out.sum().backward();
  // +1 for each w >= alpha (3), -1 for each w <= -alpha (2).
  EXPECT_EQ(alpha_of(q).grad().item<float>(), 1.0f);
  EXPECT_EQ(out[0].item<float>(), -1.0f);
  EXPECT_EQ(out[6].item<float>(), 1.0f);
  EXPECT_TRUE(torch::equal(input_gradient(q, w), torch::tensor({0.0f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0.0f})));
}

TEST(PactQuantizer, PerChannelAlphaGradient) {
  auto q = make_quantizer(weight_options("pact", 4, true));
  q->set_range(torch::tensor({-1.0f, -2.0f, -3.0f}), torch::tensor({1.0f, 2.0f, 3.0f}));
  auto w = torch::full({kChannels, 2}, 2.5f);
  w.select(1, 1).fill_(-1.5f);
  q->forward(w).sum().backward();
  EXPECT_TRUE(torch::equal(alpha_of(q).grad(), torch::tensor({0.0f, 1.0f, 0.0f}))) << alpha_of(q).grad();
}

TEST(PactQuantizer, InitializeAndSetRange) {
  // Activations default to alpha = 6 and initialize() takes the data's max.
  auto a = make_quantizer(activation_options("pact", 4));
  EXPECT_EQ(alpha_of(a).item<float>(), 6.0f);
  a->initialize(torch::tensor({0.0f, 2.5f, 1.0f}));
  EXPECT_EQ(alpha_of(a).item<float>(), 2.5f);
  EXPECT_FLOAT_EQ(static_cast<float>(a->levels().spec.scales[0]), 2.5f / 15);
  a->set_range(torch::tensor({0.0f}), torch::tensor({4.0f}));
  EXPECT_EQ(alpha_of(a).item<float>(), 4.0f);

  // params "alpha" overrides the data in initialize().
  auto fixed = make_quantizer(activation_options("pact", 4, {{"alpha", 3.0}}));
  fixed->initialize(torch::tensor({0.0f, 2.5f}));
  EXPECT_EQ(alpha_of(fixed).item<float>(), 3.0f);

  // Weights: alpha = max|w| per channel.
  auto w = make_quantizer(weight_options("pact", 4, true));
  w->initialize(torch::tensor({{-0.5f, 0.25f}, {0.1f, -2.0f}, {0.7f, 0.0f}}));
  EXPECT_TRUE(torch::equal(alpha_of(w), torch::tensor({0.5f, 2.0f, 0.7f})));
  w->set_range(torch::tensor({-3.0f}), torch::tensor({1.0f}));  // one bound for every channel
  EXPECT_TRUE(torch::equal(alpha_of(w), torch::tensor({3.0f, 3.0f, 3.0f})));
}

TEST(PactQuantizer, ParamsValidation) {
  EXPECT_THAT(config_error_message(activation_options("pact", 4, {{"alpah", 3.0}})), HasSubstr("\"alpah\""));
  EXPECT_THAT(config_error_message(activation_options("pact", 4, {{"alpha", -1.0}})), HasSubstr("/alpha"));
  EXPECT_THAT(config_error_message(activation_options("pact", 4, {{"alpha", "big"}})), HasSubstr("/alpha"));
}

TEST(PactQuantizer, BuiltThroughTheRegistry) {
  auto a = make_quantizer(activation_options("pact", 8));
  EXPECT_EQ(a->named_parameters().size(), 1u);
  EXPECT_EQ(a->levels().values.size(1), 256);
  auto w = make_quantizer(weight_options("pact", 8, true));
  EXPECT_EQ(alpha_of(w).numel(), kChannels);
  EXPECT_EQ(w->levels().values.size(1), 255);
}

}  // namespace
}  // namespace bitlab::train
