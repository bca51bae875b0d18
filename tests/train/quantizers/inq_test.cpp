#include "train/quantizers/inq.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "nonuniform_test_util.h"
#include "quant/log2.h"
#include "train/quantizers/algorithms.h"

namespace bitlab::train {
namespace {

using ::testing::HasSubstr;
using namespace testing_nonuniform;

torch::Tensor random_weights(int64_t seed) {
  torch::manual_seed(seed);
  return torch::randn({64, 16}) * 0.1;  // 1024 weights, distinct magnitudes
}

TEST(Inq, LevelSetFollowsThePaper) {
  // max|w| = 0.9: n1 = floor(log2(1.2)) = 0; 5 bits: n2 = n1 + 1 - 2^3 = -7.
  Inq q(weight_options("inq", 5));
  q->initialize(torch::tensor({0.9f, -0.1f, 0.02f}));
  EXPECT_EQ(q->n1(), 0);
  EXPECT_EQ(q->n2(), -7);
  const LevelSet levels = q->levels();
  EXPECT_EQ(levels.kind, "log2");
  ASSERT_EQ(levels.values.sizes(), (std::vector<int64_t>{1, 17}));
  EXPECT_EQ(levels.values[0][8].item<float>(), 0.0f);
  EXPECT_EQ(levels.values[0][9].item<float>(), std::ldexp(1.0f, -7));
  EXPECT_EQ(levels.values[0][16].item<float>(), 1.0f);
  EXPECT_EQ(levels.values[0][0].item<float>(), -1.0f);
  EXPECT_TRUE(sorted_rows(levels.values));
  EXPECT_NO_THROW(levels.spec.validate());
  EXPECT_EQ(levels.spec.scales, (std::vector<double>{std::ldexp(1.0, -7)}));

  // 4s/3 exactly a power of two: s = 0.75 gives n1 = 0; just below, n1 = -1.
  q->initialize(torch::tensor({0.75f}));
  EXPECT_EQ(q->n1(), 0);
  q->initialize(torch::tensor({std::nextafter(0.75f, 0.0f)}));
  EXPECT_EQ(q->n1(), -1);
}

TEST(Inq, FrozenFractionFollowsTheSchedule) {
  const torch::Tensor w = random_weights(7);
  Inq q(weight_options("inq", 5));  // default: 0.5 @ 0, 0.75 @ 0.25, 0.875 @ 0.5, 1 @ 0.75
  q->initialize(w);
  EXPECT_EQ(q->frozen_fraction(), 0.0);
  for (auto [progress, fraction] : std::vector<std::pair<double, double>>{
           {0.0, 0.5}, {0.2, 0.5}, {0.25, 0.75}, {0.49, 0.75}, {0.6, 0.875}, {0.75, 1.0}, {1.0, 1.0}}) {
    q->set_progress(progress);
    q->forward(w);
    EXPECT_DOUBLE_EQ(q->frozen_fraction(), fraction) << "progress " << progress;
    EXPECT_DOUBLE_EQ(q->scheduled_fraction(progress), fraction);
  }
}

TEST(Inq, FreezingHappensOnTheForwardAfterTheProgressCrossesAPoint) {
  const torch::Tensor w = random_weights(8);
  Inq q(weight_options("inq", 4, {{"fractions", {0.25, 1.0}}, {"at", {0.1, 0.9}}}));
  q->set_progress(0.05);
  q->forward(w);  // initialises, nothing scheduled yet
  EXPECT_EQ(q->frozen_fraction(), 0.0);
  q->set_progress(0.5);
  EXPECT_EQ(q->frozen_fraction(), 0.0);  // set_progress alone freezes nothing
  q->forward(w);
  EXPECT_DOUBLE_EQ(q->frozen_fraction(), 0.25);
  q->set_progress(0.0);  // going back never unfreezes
  q->forward(w);
  EXPECT_DOUBLE_EQ(q->frozen_fraction(), 0.25);
}

TEST(Inq, LargestMagnitudesFreezeFirstOntoPowersOfTwo) {
  const torch::Tensor w = random_weights(9);
  Inq q(weight_options("inq", 5));
  q->initialize(w);
  q->set_progress(0.0);
  const torch::Tensor y = q->forward(w);
  const torch::Tensor mask = q->frozen_mask();
  EXPECT_GE(w.abs().masked_select(mask).min().item<float>(), w.abs().masked_select(~mask).max().item<float>());
  // Frozen values are Log2Levels' rounding of the latent weights: the INQ
  // window [n2, n1] is the bottom of a `bits`-wide Log2Levels window with
  // min_exponent n2, and no weight exceeds 1.5 * 2^n1, so nothing saturates.
  const quant::Log2Levels reference({.bits = 5, .max_exponent = q->n2() + (1 << 4) - 2});
  ASSERT_EQ(reference.min_exponent(), q->n2());
  const torch::Tensor frozen_in = w.masked_select(mask);
  const torch::Tensor frozen_out = y.masked_select(mask);
  for (int64_t i = 0; i < frozen_in.numel(); ++i) {
    ASSERT_EQ(frozen_out[i].item<float>(), reference.quantise(frozen_in[i].item<float>()))
        << "w = " << frozen_in[i].item<float>();
  }
  // The rest pass through unchanged.
  EXPECT_TRUE(torch::equal(y.masked_select(~mask), w.masked_select(~mask)));
}

TEST(Inq, FrozenWeightsGetNoGradientAndKeepTheirValues) {
  const torch::Tensor w0 = random_weights(10);
  Inq q(weight_options("inq", 5));
  q->initialize(w0);
  q->set_progress(0.3);  // 75% frozen
  const torch::Tensor w = w0.clone().requires_grad_();
  const torch::Tensor upstream = torch::randn(w.sizes());
  const torch::Tensor y = q->forward(w);
  (y * upstream).sum().backward();
  const torch::Tensor mask = q->frozen_mask();
  EXPECT_TRUE(torch::all(w.grad().masked_select(mask) == 0).item<bool>());
  EXPECT_TRUE(torch::equal(w.grad().masked_select(~mask), upstream.masked_select(~mask)));

  // Latent weights drift; frozen outputs do not.
  const torch::Tensor drifted = w0 + 0.05 * torch::randn(w0.sizes());
  const torch::Tensor y2 = q->forward(drifted);
  EXPECT_TRUE(torch::equal(y2.masked_select(mask), y.detach().masked_select(mask)));
  EXPECT_TRUE(torch::equal(y2.masked_select(~mask), drifted.masked_select(~mask)));
}

TEST(Inq, EverythingIsOnTheLevelSetAtTheEnd) {
  const torch::Tensor w = random_weights(11);
  Inq q(weight_options("inq", 3));
  q->initialize(w);
  for (double p : {0.0, 0.3, 0.55}) {
    q->set_progress(p);
    q->forward(w + 0.01 * torch::randn(w.sizes()));  // latent weights keep training
  }
  q->set_progress(1.0);
  const torch::Tensor y = q->forward(w);
  EXPECT_TRUE(on_levels(y, q->levels()));
  EXPECT_EQ(q->levels().values.size(1), 5);  // 3 bits: {0, ±2^n1, ±2^(n1-1)}
}

TEST(Inq, StateSurvivesACheckpoint) {
  const torch::Tensor w = random_weights(12);
  Inq q(weight_options("inq", 5));
  q->initialize(w);
  q->set_progress(0.3);
  const torch::Tensor y = q->forward(w);
  Inq r(weight_options("inq", 5));
  round_trip(*q, *r);
  for (const char* name : {"frozen_mask", "frozen_values", "max_exponent", "stage"}) {
    EXPECT_TRUE(r->named_buffers().contains(name)) << name;
  }
  r->set_progress(0.3);
  EXPECT_TRUE(torch::equal(r->forward(w), y));  // no re-initialisation, no extra freezing
  EXPECT_DOUBLE_EQ(r->frozen_fraction(), 0.75);
}

TEST(Inq, RejectsBadSchedulesAndOptions) {
  auto make = [](nlohmann::json params) { return make_quantizer(weight_options("inq", 5, std::move(params))); };
  auto message = [&](nlohmann::json params) {
    try {
      make(std::move(params));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message({{"fractions", {0.5, 1.0}}, {"at", {0.0}}}), HasSubstr("same length"));
  EXPECT_THAT(message({{"fractions", {0.5, 1.0}}, {"at", {0.5, 0.5}}}), HasSubstr("strictly increasing"));
  EXPECT_THAT(message({{"fractions", {0.8, 0.5, 1.0}}, {"at", {0.0, 0.1, 0.2}}}), HasSubstr("cannot decrease"));
  EXPECT_THAT(message({{"fractions", {0.5, 0.9}}, {"at", {0.0, 0.5}}}), HasSubstr("must be 1.0"));
  EXPECT_THAT(message({{"fractions", {0.5, 1.5}}, {"at", {0.0, 0.5}}}), HasSubstr("/fractions/1"));
  EXPECT_THAT(message({{"fractions", "half"}}), HasSubstr("/fractions"));
  EXPECT_THAT(message({{"fractions", nlohmann::json::array()}}), HasSubstr("non-empty"));
  EXPECT_THAT(message({{"schedule", {0.5, 1.0}}}), HasSubstr("unknown key \"schedule\""));
  EXPECT_THROW(make_quantizer(weight_options("inq", 1)), ConfigError);
  EXPECT_THROW(make_quantizer(per_channel(weight_options("inq", 5), 4)), ConfigError);
  QuantizerOptions activations = weight_options("inq", 5);
  activations.role = TensorRole::kActivation;
  EXPECT_THROW(make_inq_quantizer(activations), ConfigError);
}

TEST(Inq, ShapeChangeIsAnError) {
  Inq q(weight_options("inq", 5));
  q->forward(torch::randn({4, 4}));
  EXPECT_THROW(q->forward(torch::randn({2, 8})), std::invalid_argument);
}

}  // namespace
}  // namespace bitlab::train
