#include "uniform_test_util.h"

namespace bitlab::train {
namespace {

using namespace testing;
using ::testing::HasSubstr;

torch::Tensor log2_t_of(Quantizer& q) { return named(q->named_parameters(), "log2_t"); }

// TQT eq. 6 by hand: with r = round(x/s), s ln2 (r - x/s) inside [n, p], s ln2 n below, s ln2 p above.
double expected_log2_t_gradient(const torch::Tensor& x, double s, double n, double p) {
  auto d = x.detach().to(torch::kFloat64).contiguous();
  double sum = 0.0;
  for (std::int64_t i = 0; i < d.numel(); ++i) {
    const double v = d.data_ptr<double>()[i] / s;
    const double r = std::nearbyint(v);
    sum += r < n ? n : r > p ? p : r - v;
  }
  return s * std::log(2.0) * sum;
}

TEST(TqtQuantizer, WeightsLandOnLevels) {
  for (int bits : kBits) {
    for (bool per_channel : {false, true}) {
      SCOPED_TRACE(::testing::Message() << bits << " bits, per_channel " << per_channel);
      auto q = make_quantizer(weight_options("tqt", bits, per_channel));
      auto w = sample_weights();
      q->initialize(w * 0.5);
      q->set_progress(1.0);
      expect_on_levels(q, w);
      const LevelSet lv = q->levels();
      EXPECT_EQ(lv.spec.scale_kind, quant::ScaleKind::PowerOfTwo);
      for (double s : lv.spec.scales) EXPECT_TRUE(quant::is_power_of_two(s)) << s;
    }
  }
}

TEST(TqtQuantizer, ActivationsLandOnLevels) {
  for (int bits : kBits) {
    SCOPED_TRACE(::testing::Message() << bits << " bits");
    auto q = make_quantizer(activation_options("tqt", bits));
    auto x = sample_activations();
    q->initialize(x);
    q->set_progress(1.0);
    expect_on_levels(q, x - 1.0);
  }
}

TEST(TqtQuantizer, ThresholdGradientMatchesThePaper) {
  for (int bits : kBits) {
    for (bool is_signed : {true, false}) {
      SCOPED_TRACE(::testing::Message() << bits << " bits, signed " << is_signed);
      auto o = weight_options("tqt", bits, false);
      o.is_signed = is_signed;
      o.narrow_range = false;
      auto q = make_quantizer(o);
      auto w = sample_weights();
      q->set_range(torch::tensor({-1.3f}), torch::tensor({1.3f}));  // t = 2 after ceil: plenty clip
      q->forward(w).sum().backward();
      const double s = q->levels().spec.scales[0];
      EXPECT_EQ(s, is_signed ? 2.0 / (1 << (bits - 1)) : 2.0 / (1 << bits));
      const double n = is_signed ? -(1 << (bits - 1)) : 0;
      const double p = is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
      const double expected = expected_log2_t_gradient(w, s, n, p);
      EXPECT_NEAR(log2_t_of(q).grad().item<double>(), expected, 1e-4 * std::max(1.0, std::abs(expected)));
    }
  }
}

TEST(TqtQuantizer, PerChannelThresholdGradient) {
  auto q = make_quantizer(weight_options("tqt", 4, true));  // narrow: n = -7, p = 7
  auto w = sample_weights();
  q->initialize(w * 0.3);
  q->forward(w).sum().backward();
  for (std::int64_t c = 0; c < kChannels; ++c) {
    const double s = q->levels().spec.scales[static_cast<std::size_t>(c)];
    const double expected = expected_log2_t_gradient(w[c], s, -7, 7);
    EXPECT_NEAR(log2_t_of(q).grad()[c].item<double>(), expected, 1e-4 * std::max(1.0, std::abs(expected)));
  }
}

TEST(TqtQuantizer, InputGradientTestsTheRoundedValue) {
  auto o = weight_options("tqt", 4, false);
  o.narrow_range = false;  // codes -8..7
  auto q = make_quantizer(o);
  q->set_range(torch::tensor({-1.0f}), torch::tensor({1.0f}));  // log2 t = 0: s = 1/8
  // 7.4 steps rounds to 7 (inside), 7.6 rounds to 8 (outside), -8.4 to -8 (inside), -8.6 to -9.
  auto x = torch::tensor({7.4f, 7.6f, -8.4f, -8.6f, 0.3f}) / 8.0f;
  EXPECT_TRUE(torch::equal(input_gradient(q, x), torch::tensor({1.0f, 0.0f, 1.0f, 0.0f, 1.0f})))
      << input_gradient(q, x);
}

TEST(TqtQuantizer, InitializeAndSetRange) {
  // max|x| = 3: log2 t = log2 3, ceil = 2, s = 4 / 2^(b-1) signed.
  auto q = make_quantizer(weight_options("tqt", 4, false));
  q->initialize(torch::tensor({1.0f, -3.0f, 2.0f}));
  EXPECT_FLOAT_EQ(log2_t_of(q).item<float>(), static_cast<float>(std::log2(3.0)));
  EXPECT_EQ(q->levels().spec.scales[0], 0.5);
  // A power-of-two threshold is not pushed to the next exponent.
  q->set_range(torch::tensor({-4.0f}), torch::tensor({2.0f}));
  EXPECT_EQ(log2_t_of(q).item<float>(), 2.0f);
  EXPECT_EQ(q->levels().spec.scales[0], 0.5);

  // Unsigned: s = 2^ceil(log2 t) / 2^b.
  auto a = make_quantizer(activation_options("tqt", 4));
  a->initialize(torch::tensor({0.0f, 3.0f, 1.0f}));
  EXPECT_EQ(a->levels().spec.scales[0], 0.25);

  // Percentile: the 50th percentile of 1..100 is 50.
  auto p = make_quantizer(activation_options("tqt", 8, {{"percentile", 50.0}}));
  p->initialize(torch::arange(1, 101, torch::kFloat32));
  EXPECT_FLOAT_EQ(log2_t_of(p).item<float>(), static_cast<float>(std::log2(50.0)));
}

TEST(TqtQuantizer, ParamsValidation) {
  EXPECT_THAT(config_error_message(activation_options("tqt", 8, {{"percentil", 99.0}})), HasSubstr("\"percentil\""));
  EXPECT_THAT(config_error_message(activation_options("tqt", 8, {{"percentile", 0.0}})), HasSubstr("/percentile"));
  EXPECT_THAT(config_error_message(activation_options("tqt", 8, {{"percentile", 101.0}})), HasSubstr("/percentile"));
}

TEST(TqtQuantizer, BuiltThroughTheRegistry) {
  auto q = make_quantizer(activation_options("tqt", 8));
  EXPECT_EQ(q->named_parameters().size(), 1u);
  EXPECT_EQ(log2_t_of(q).numel(), 1);
  EXPECT_EQ(q->levels().spec.scale_kind, quant::ScaleKind::PowerOfTwo);
}

}  // namespace
}  // namespace bitlab::train
