#include "train/quantizers/ttq.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "nonuniform_test_util.h"
#include "train/quantizers/algorithms.h"

namespace bitlab::train {
namespace {

using namespace testing_nonuniform;

// max|w| = 1, t = 0.05 so delta = 0.05. Above: 0.5, 0.3 (Wp = 0.4); below
// -delta: -0.2, -1.0 (Wn = 0.6); 0.01 and -0.03 are in the zero region.
torch::Tensor hand_weights() { return torch::tensor({0.5f, -0.2f, 0.01f, -0.03f, 0.3f, -1.0f}); }

TEST(Ttq, InitialScalesAndForwardOnAHandComputedTensor) {
  Ttq q(weight_options("ttq", 2));
  q->initialize(hand_weights());
  EXPECT_FLOAT_EQ(q->wp().item<float>(), 0.4f);
  EXPECT_FLOAT_EQ(q->wn().item<float>(), 0.6f);
  q->set_progress(1.0);
  const torch::Tensor y = q->forward(hand_weights());
  EXPECT_FLOAT_EQ(q->delta().item<float>(), 0.05f);
  EXPECT_TRUE(torch::equal(y, torch::tensor({0.4f, -0.6f, 0.0f, 0.0f, 0.4f, -0.6f})));
  const LevelSet levels = q->levels();
  EXPECT_EQ(levels.kind, "ternary");
  EXPECT_TRUE(torch::equal(levels.values, torch::tensor({{-0.6f, 0.0f, 0.4f}})));
  EXPECT_TRUE(on_levels(y, levels));
  EXPECT_NO_THROW(levels.spec.validate());
}

TEST(Ttq, FirstForwardInitialises) {
  Ttq q(weight_options("ttq", 2, {{"t", 0.1}}));
  EXPECT_FALSE(q->initialized());
  EXPECT_THROW(q->levels(), std::logic_error);
  q->forward(hand_weights());
  EXPECT_TRUE(q->initialized());
  EXPECT_FLOAT_EQ(q->delta().item<float>(), 0.1f);
}

TEST(Ttq, ScaleGradientsMatchFiniteDifferencesAndThePaper) {
  torch::manual_seed(4);
  const torch::Tensor w = torch::randn({16, 8}, torch::kFloat64);
  const torch::Tensor upstream = torch::randn({16, 8}, torch::kFloat64);
  Ttq q(weight_options("ttq", 2));
  q->initialize(w);
  auto loss = [&] { return (q->forward(w) * upstream).sum(); };
  loss().backward();
  const double delta = 0.05 * w.abs().max().item<double>();
  const double sum_positive = upstream.masked_select(w > delta).sum().item<double>();
  const double sum_negative = upstream.masked_select(w < -delta).sum().item<double>();
  EXPECT_NEAR(q->wp().grad().item<double>(), sum_positive, 1e-5);
  EXPECT_NEAR(q->wn().grad().item<double>(), -sum_negative, 1e-5);

  // Central differences on the (float32) parameters, loss in float64.
  for (const torch::Tensor* scale : {&q->wp(), &q->wn()}) {
    const float original = scale->item<float>();
    torch::NoGradGuard no_grad;
    scale->fill_(original + 1e-2f);
    const double up = loss().item<double>();
    const double step_up = scale->item<double>() - original;
    scale->fill_(original - 1e-2f);
    const double down = loss().item<double>();
    const double step_down = original - scale->item<double>();
    scale->fill_(original);
    const double fd = (up - down) / (step_up + step_down);
    EXPECT_NEAR(scale->grad().item<double>(), fd, 1e-4 * std::max(1.0, std::abs(fd)));
  }
}

TEST(Ttq, LatentGradientIsScaledPerRegion) {
  const torch::Tensor w = hand_weights().requires_grad_();
  const torch::Tensor upstream = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f});
  Ttq q(weight_options("ttq", 2));
  q->initialize(w);
  (q->forward(w) * upstream).sum().backward();
  // Wp = 0.4 in the positive region, 1 in the zero region, Wn = 0.6 in the negative one.
  const torch::Tensor expected = torch::tensor({0.4f * 1, 0.6f * 2, 3.0f, 4.0f, 0.4f * 5, 0.6f * 6});
  EXPECT_TRUE(torch::allclose(w.grad(), expected, 1e-6, 0));
}

TEST(Ttq, TrainedScalesMoveTheLevels) {
  torch::manual_seed(5);
  const torch::Tensor w = torch::randn({32});
  Ttq q(weight_options("ttq", 2));
  q->initialize(w);
  torch::optim::SGD sgd(q->parameters(), 0.1);
  const float wp0 = q->wp().item<float>();
  sgd.zero_grad();
  (q->forward(w) * -1.0).sum().backward();  // pushes every positive output up
  sgd.step();
  EXPECT_GT(q->wp().item<float>(), wp0);
  q->set_progress(1.0);
  EXPECT_TRUE(on_levels(q->forward(w), q->levels()));
}

TEST(Ttq, ScalesAreCheckpointedParameters) {
  Ttq q(weight_options("ttq", 2));
  q->initialize(hand_weights());
  Ttq r(weight_options("ttq", 2));
  round_trip(*q, *r);
  EXPECT_TRUE(r->initialized());
  EXPECT_TRUE(torch::equal(r->named_parameters()["wp"], q->wp()));
  EXPECT_TRUE(torch::equal(r->named_parameters()["wn"], q->wn()));
  EXPECT_TRUE(torch::equal(r->forward(hand_weights()), q->forward(hand_weights())));
}

TEST(Ttq, RejectsBadOptions) {
  EXPECT_THROW(make_quantizer(weight_options("ttq", 3)), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("ttq", 2, {{"t", 1.5}})), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("ttq", 2, {{"t", "small"}})), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("ttq", 2, {{"threshold", 0.05}})), ConfigError);
  EXPECT_THROW(make_quantizer(per_channel(weight_options("ttq", 2), 4)), ConfigError);
}

}  // namespace
}  // namespace bitlab::train
