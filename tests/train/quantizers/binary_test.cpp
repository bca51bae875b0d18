#include "train/quantizers/binary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "nonuniform_test_util.h"
#include "train/quantizers/algorithms.h"

namespace bitlab::train {
namespace {

using ::testing::HasSubstr;
using namespace testing_nonuniform;

QuantizerOptions activation_options(nlohmann::json params = nlohmann::json::object()) {
  QuantizerOptions o = weight_options("binary", 1, std::move(params));
  o.role = TensorRole::kActivation;
  return o;
}

TEST(Binary, WeightsAreMeanMagnitudeTimesSignPerChannel) {
  torch::manual_seed(1);
  torch::Tensor w = torch::randn({4, 3, 2, 2});
  w[1][0][0][0] = 0.0f;  // sign(0) = +1
  Quantizer q = make_quantizer(per_channel(weight_options("binary", 1), 4));
  q->set_progress(1.0);
  const torch::Tensor y = q->forward(w);

  const torch::Tensor alpha = w.abs().reshape({4, -1}).mean(1).view({4, 1, 1, 1});
  const torch::Tensor sign = torch::where(w >= 0, torch::ones_like(w), -torch::ones_like(w));
  EXPECT_TRUE(torch::equal(y, alpha * sign));
  EXPECT_FLOAT_EQ(y[1][0][0][0].item<float>(), alpha[1].item<float>());

  const LevelSet levels = q->levels();
  EXPECT_EQ(levels.kind, "binary");
  EXPECT_EQ(levels.values.sizes(), (std::vector<int64_t>{4, 2}));
  EXPECT_TRUE(torch::allclose(levels.values.select(1, 1), alpha.view({4})));
  EXPECT_TRUE(on_levels(y, levels));
  EXPECT_TRUE(sorted_rows(levels.values));
  EXPECT_NO_THROW(levels.spec.validate());
  EXPECT_EQ(levels.spec.scales.size(), 4u);
}

TEST(Binary, PerTensorMeanScale) {
  const torch::Tensor w = torch::tensor({0.5f, -0.25f, 0.0f, -1.25f});
  Quantizer q = make_quantizer(weight_options("binary", 1));
  const torch::Tensor y = q->forward(w);
  EXPECT_TRUE(torch::equal(y, torch::tensor({0.5f, -0.5f, 0.5f, -0.5f})));
  EXPECT_TRUE(torch::equal(q->levels().values, torch::tensor({{-0.5f, 0.5f}})));
}

TEST(Binary, ActivationsDefaultToPlainSign) {
  Quantizer q = make_quantizer(activation_options());
  const torch::Tensor y = q->forward(torch::tensor({-3.0f, -0.1f, 0.0f, 0.2f, 7.0f}));
  EXPECT_TRUE(torch::equal(y, torch::tensor({-1.0f, -1.0f, 1.0f, 1.0f, 1.0f})));
  EXPECT_TRUE(torch::equal(q->levels().values, torch::tensor({{-1.0f, 1.0f}})));
  EXPECT_TRUE(on_levels(y, q->levels()));
}

TEST(Binary, GradientIsHardtanhStraightThrough) {
  const torch::Tensor x = torch::tensor({-2.0f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f}).requires_grad_();
  const torch::Tensor upstream = torch::arange(1, 8).to(torch::kFloat32);
  Quantizer q = make_quantizer(activation_options());
  (q->forward(x) * upstream).sum().backward();
  // |x| <= 1 passes the gradient, beyond it nothing.
  EXPECT_TRUE(torch::equal(x.grad(), torch::tensor({0.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 0.0f})));
}

TEST(Binary, ClipParameterMovesTheWindow) {
  const torch::Tensor x = torch::tensor({-0.7f, -0.5f, 0.5f, 0.7f}).requires_grad_();
  Quantizer q = make_quantizer(activation_options({{"clip", 0.6}}));
  q->forward(x).sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), torch::tensor({0.0f, 1.0f, 1.0f, 0.0f})));
}

TEST(Binary, WeightGradientIsScaledByDetachedAlpha) {
  // XNOR-Net weights: y = alpha * sign(w), alpha a constant in the backward,
  // so dL/dw = alpha * dL/dy inside the clipping window.
  const torch::Tensor w = torch::tensor({0.5f, -1.5f, 0.25f, -0.75f}).requires_grad_();
  const torch::Tensor upstream = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f});
  Quantizer q = make_quantizer(weight_options("binary", 1));
  (q->forward(w) * upstream).sum().backward();
  const float alpha = 0.75f;  // (0.5 + 1.5 + 0.25 + 0.75) / 4
  EXPECT_TRUE(torch::allclose(w.grad(), torch::tensor({alpha * 1.0f, 0.0f, alpha * 3.0f, alpha * 4.0f})));
}

TEST(Binary, ScaleNoneForWeightsIsBnn) {
  Quantizer q = make_quantizer(weight_options("binary", 1, {{"scale", "none"}}));
  EXPECT_TRUE(torch::equal(q->forward(torch::tensor({0.01f, -0.02f})), torch::tensor({1.0f, -1.0f})));
}

TEST(Binary, RejectsBadOptions) {
  EXPECT_THROW(make_quantizer(weight_options("binary", 2)), ConfigError);
  try {
    make_quantizer(weight_options("binary", 2));
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("bits = 1"));
  }
  EXPECT_THROW(make_quantizer(activation_options({{"scale", "mean"}})), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("binary", 1, {{"scale", "max"}})), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("binary", 1, {{"clip", -1.0}})), ConfigError);
  try {
    make_quantizer(weight_options("binary", 1, {{"scael", "none"}}));
    ADD_FAILURE() << "unknown key accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown key \"scael\""));
  }
  QuantizerOptions unsigned_options = activation_options();
  unsigned_options.is_signed = false;
  EXPECT_THROW(make_quantizer(unsigned_options), ConfigError);
}

TEST(Binary, AlphaIsACheckpointedBuffer) {
  Quantizer q = make_quantizer(weight_options("binary", 1));
  q->forward(torch::tensor({2.0f, -4.0f}));
  Quantizer r = make_quantizer(weight_options("binary", 1));
  round_trip(*q, *r);
  EXPECT_TRUE(torch::equal(r->named_buffers()["alpha"], torch::tensor({3.0f})));
  EXPECT_TRUE(r->named_parameters().is_empty());
}

}  // namespace
}  // namespace bitlab::train
