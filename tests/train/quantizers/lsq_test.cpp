#include "uniform_test_util.h"

namespace bitlab::train {
namespace {

using namespace testing;
using ::testing::HasSubstr;

torch::Tensor step_of(Quantizer& q) { return named(q->named_parameters(), "step"); }

// LSQ eq. 3 by hand, summed over the elements of one step and scaled by
// g = 1 / sqrt(n * Qp): round(x/s) - x/s inside, Qn or Qp outside.
double expected_step_gradient(const std::vector<double>& xs, double s, double qmin, double qmax, double n) {
  double sum = 0.0;
  for (double x : xs) {
    const double v = x / s;
    if (v <= qmin) sum += qmin;
    else if (v >= qmax) sum += qmax;
    else sum += std::nearbyint(v) - v;
  }
  return sum / std::sqrt(n * qmax);
}

std::vector<double> to_vector(const torch::Tensor& t) {
  auto d = t.detach().to(torch::kFloat64).contiguous();
  return {d.data_ptr<double>(), d.data_ptr<double>() + d.numel()};
}

TEST(LsqQuantizer, WeightsLandOnLevels) {
  for (int bits : kBits) {
    for (bool per_channel : {false, true}) {
      SCOPED_TRACE(::testing::Message() << bits << " bits, per_channel " << per_channel);
      auto q = make_quantizer(weight_options("lsq", bits, per_channel));
      auto w = sample_weights();
      q->initialize(w);
      q->set_progress(1.0);
      expect_on_levels(q, w * 3.0);
    }
  }
}

TEST(LsqQuantizer, ActivationsLandOnLevels) {
  for (int bits : kBits) {
    SCOPED_TRACE(::testing::Message() << bits << " bits");
    auto q = make_quantizer(activation_options("lsq", bits));
    auto x = sample_activations();
    q->initialize(x);
    q->set_progress(1.0);
    expect_on_levels(q, x - 1.0);
  }
}

TEST(LsqQuantizer, StepGradientMatchesThePaperPerTensor) {
  for (int bits : kBits) {
    SCOPED_TRACE(::testing::Message() << bits << " bits");
    auto q = make_quantizer(weight_options("lsq", bits, false));
    auto w = sample_weights();
    q->initialize(w);
    q->forward(w).sum().backward();
    const double s = step_of(q).item<double>();
    const double qmax = (1 << (bits - 1)) - 1;
    const double expected = expected_step_gradient(to_vector(w), s, -qmax, qmax, static_cast<double>(w.numel()));
    EXPECT_NEAR(step_of(q).grad().item<double>(), expected, 1e-4 * std::max(1.0, std::abs(expected)));
  }
}

TEST(LsqQuantizer, StepGradientMatchesThePaperPerChannel) {
  for (int bits : kBits) {
    SCOPED_TRACE(::testing::Message() << bits << " bits");
    auto q = make_quantizer(weight_options("lsq", bits, true));
    auto w = sample_weights();
    q->initialize(w * 0.5);  // a smaller step, so more weights clip
    q->forward(w).sum().backward();
    const double qmax = (1 << (bits - 1)) - 1;
    const double n = static_cast<double>(w.numel() / kChannels);
    for (std::int64_t c = 0; c < kChannels; ++c) {
      const double s = step_of(q)[c].item<double>();
      const double expected = expected_step_gradient(to_vector(w[c]), s, -qmax, qmax, n);
      EXPECT_NEAR(step_of(q).grad()[c].item<double>(), expected, 1e-4 * std::max(1.0, std::abs(expected)))
          << "channel " << c;
    }
  }
}

TEST(LsqQuantizer, ActivationStepGradientCountsFeaturesPerSample) {
  // N_F of the paper: the features of one sample, not the whole batch.
  auto q = make_quantizer(activation_options("lsq", 4));
  auto x = sample_activations();
  q->initialize(x);
  q->forward(x).sum().backward();
  const double s = step_of(q).item<double>();
  const double n = static_cast<double>(x.numel() / x.size(0));
  const double expected = expected_step_gradient(to_vector(x), s, 0.0, 15.0, n);
  EXPECT_NEAR(step_of(q).grad().item<double>(), expected, 1e-4 * std::max(1.0, std::abs(expected)));
}

TEST(LsqQuantizer, InputGradientIsOneInsideTheRange) {
  auto q = make_quantizer(weight_options("lsq", 4, false));
  q->set_range(torch::tensor({-0.7f}), torch::tensor({0.7f}));  // s = 0.1, codes -7..7
  auto x = torch::tensor({-1.0f, -0.71f, -0.3f, 0.05f, 0.69f, 0.75f});
  EXPECT_TRUE(torch::equal(input_gradient(q, x), torch::tensor({0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 0.0f})))
      << input_gradient(q, x);
}

TEST(LsqQuantizer, InitializeAndSetRange) {
  // 2 mean|x| / sqrt(Qp): mean|x| = 2, Qp = 7 at 4 bits signed narrow.
  auto q = make_quantizer(weight_options("lsq", 4, false));
  q->initialize(torch::tensor({1.0f, -3.0f, 2.0f, -2.0f}));
  EXPECT_FLOAT_EQ(step_of(q).item<float>(), static_cast<float>(4.0 / std::sqrt(7.0)));
  q->set_range(torch::tensor({-2.0f}), torch::tensor({1.0f}));
  EXPECT_FLOAT_EQ(step_of(q).item<float>(), 2.0f / 7);

  // Per channel: one mean per output channel.
  auto p = make_quantizer(weight_options("lsq", 4, true));
  p->initialize(torch::tensor({{1.0f, -1.0f}, {2.0f, 4.0f}, {0.0f, 0.0f}}));
  auto expected = torch::tensor({2.0f, 6.0f, 1.0f}) / std::sqrt(7.0f);
  expected[2] = 1.0f;  // an all-zero channel gets step 1 instead of 0
  EXPECT_TRUE(torch::allclose(step_of(p), expected)) << step_of(p);

  // Unsigned activations: Qp = 255 at 8 bits.
  auto a = make_quantizer(activation_options("lsq", 8));
  a->set_range(torch::tensor({0.0f}), torch::tensor({5.1f}));
  EXPECT_FLOAT_EQ(step_of(a).item<float>(), 0.02f);
}

TEST(LsqQuantizer, ParamsValidation) {
  EXPECT_THAT(config_error_message(weight_options("lsq", 4, false, {{"step", 0.1}})), HasSubstr("\"step\""));
}

TEST(LsqQuantizer, BuiltThroughTheRegistry) {
  auto q = make_quantizer(activation_options("lsq", 4));
  EXPECT_EQ(q->named_parameters().size(), 1u);
  EXPECT_EQ(step_of(q).numel(), 1);
  EXPECT_EQ(make_quantizer(weight_options("lsq", 4, true))->named_parameters()["step"].numel(), kChannels);
}

}  // namespace
}  // namespace bitlab::train
