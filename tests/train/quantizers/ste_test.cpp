#include "train/quantizers/ste.h"
#include "uniform_test_util.h"

namespace bitlab::train {
namespace {

using namespace testing;
using ::testing::HasSubstr;

TEST(SteQuantizer, WeightsLandOnLevels) {
  for (int bits : kBits) {
    for (bool per_channel : {false, true}) {
      SCOPED_TRACE(::testing::Message() << bits << " bits, per_channel " << per_channel);
      auto q = make_quantizer(weight_options("ste", bits, per_channel));
      auto w = sample_weights();
      q->initialize(w * 0.7);  // so that the outer 30% of w clamps
      q->set_progress(1.0);
      expect_on_levels(q, w);
    }
  }
}

TEST(SteQuantizer, ActivationsLandOnLevels) {
  for (int bits : kBits) {
    for (bool affine : {false, true}) {
      SCOPED_TRACE(::testing::Message() << bits << " bits, affine " << affine);
      auto q = make_quantizer(activation_options("ste", bits, {{"affine", affine}}));
      auto x = sample_activations();
      q->set_range(torch::tensor({-0.5f}), torch::tensor({3.0f}));
      q->set_progress(1.0);
      expect_on_levels(q, x - 1.0);
    }
  }
}

TEST(SteQuantizer, GradientIsOneInsideTheRangeAndZeroOutside) {
  for (int bits : kBits) {
    SCOPED_TRACE(::testing::Message() << bits << " bits");
    auto q = make_quantizer(weight_options("ste", bits, false));
    q->set_range(torch::tensor({-1.0f}), torch::tensor({1.0f}));  // codes cover [-1, 1] exactly
    auto x = torch::tensor({-2.0f, -1.01f, -0.99f, -0.3f, 0.0f, 0.42f, 0.99f, 1.01f, 5.0f});
    auto expected = torch::tensor({0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 0.0f, 0.0f});
    EXPECT_TRUE(torch::equal(input_gradient(q, x), expected)) << input_gradient(q, x);
  }
}

TEST(SteQuantizer, PerChannelGradientUsesEachChannelsRange) {
  auto q = make_quantizer(weight_options("ste", 4, true));
  q->set_range(torch::tensor({-1.0f, -2.0f, -4.0f}), torch::tensor({1.0f, 2.0f, 4.0f}));
  auto x = torch::full({kChannels, 2}, 1.5f);
  x.select(1, 1).fill_(-3.0f);
  // 1.5 is outside channel 0 only; -3 is inside channel 2 only.
  auto expected = torch::tensor({{0.0f, 0.0f}, {1.0f, 0.0f}, {1.0f, 1.0f}});
  EXPECT_TRUE(torch::equal(input_gradient(q, x), expected)) << input_gradient(q, x);
}

TEST(SteQuantizer, InitializeSetsSymmetricPerChannelScales) {
  auto q = make_quantizer(weight_options("ste", 4, true));  // qmax = 7
  auto w = torch::tensor({{-0.5f, 0.25f}, {0.1f, -2.0f}, {0.7f, 0.0f}});
  q->initialize(w);
  auto scale = named(q->named_buffers(), "scale");
  EXPECT_TRUE(torch::allclose(scale, torch::tensor({0.5f / 7, 2.0f / 7, 0.7f / 7})));
  EXPECT_TRUE(torch::equal(named(q->named_buffers(), "zero_point"), torch::zeros({3})));
  EXPECT_EQ(q->levels().spec.scales.size(), 3u);
}

TEST(SteQuantizer, InitializeUnsignedAndAffine) {
  auto q = make_quantizer(activation_options("ste", 8));
  q->initialize(torch::tensor({0.0f, 3.0f, 1.5f}));
  EXPECT_FLOAT_EQ(named(q->named_buffers(), "scale").item<float>(), 3.0f / 255);

  // Affine, 4-bit unsigned over [-1, 3]: s = 4 / 15, z = 0 - round(-1 / s) = round(3.75) = 4.
  auto a = make_quantizer(activation_options("ste", 4, {{"affine", true}}));
  a->initialize(torch::tensor({-1.0f, 0.5f, 3.0f}));
  EXPECT_FLOAT_EQ(named(a->named_buffers(), "scale").item<float>(), 4.0f / 15);
  EXPECT_EQ(named(a->named_buffers(), "zero_point").item<float>(), 4.0f);
  EXPECT_FALSE(a->levels().spec.symmetric);
  EXPECT_EQ(a->levels().spec.zero_point(0), 4);
  // Real zero stays exact.
  EXPECT_EQ(a->forward(torch::zeros({1})).item<float>(), 0.0f);
}

TEST(SteQuantizer, SetRangeUsesTheLargerMagnitude) {
  auto q = make_quantizer(weight_options("ste", 8, false));
  q->set_range(torch::tensor({-1.0f}), torch::tensor({3.0f}));
  EXPECT_FLOAT_EQ(named(q->named_buffers(), "scale").item<float>(), 3.0f / 127);
  // The scale is a buffer, not a learned parameter.
  EXPECT_EQ(q->named_parameters().size(), 0u);
}

TEST(SteQuantizer, UnknownParamIsAConfigError) {
  auto message = config_error_message(activation_options("ste", 8, {{"afine", true}}));
  EXPECT_THAT(message, HasSubstr("\"afine\""));
  EXPECT_THAT(message, HasSubstr("affine"));
  EXPECT_THAT(config_error_message(activation_options("ste", 8, {{"affine", 1}})), HasSubstr("/affine"));
  // Signed 1-bit codes have no positive level.
  EXPECT_THAT(config_error_message(weight_options("ste", 1, false)), HasSubstr("bits"));
}

TEST(SteQuantizer, BuiltThroughTheRegistry) {
  auto q = make_quantizer(activation_options("ste", 8));
  EXPECT_NE(dynamic_cast<SteQuantizerImpl*>(q.ptr().get()), nullptr);
  EXPECT_EQ(q->levels().kind, "uniform");
  EXPECT_EQ(q->levels().values.size(1), 256);
  EXPECT_TRUE(algorithm_supports("ste", TensorRole::kActivation));
  EXPECT_TRUE(algorithm_supports("ste", TensorRole::kWeight));
}

TEST(UniformQuantizers, OutputKeepsTheInputShape) {
  for (const char* algorithm : {"ste", "pact", "lsq", "tqt", "dorefa", "ana"}) {
    SCOPED_TRACE(algorithm);
    auto q = make_quantizer(activation_options(algorithm, 4));
    EXPECT_EQ(q->forward(torch::tensor(0.3f)).dim(), 0);
    EXPECT_EQ(q->forward(torch::ones({2, 3})).sizes(), torch::IntArrayRef({2, 3}));
    auto w = make_quantizer(weight_options(algorithm, 4, true));
    EXPECT_EQ(w->forward(sample_weights()).sizes(), sample_weights().sizes());
  }
}

}  // namespace
}  // namespace bitlab::train
