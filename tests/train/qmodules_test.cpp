#include <gtest/gtest.h>

#include "train/modules/qactivation.h"
#include "train/modules/qconv2d.h"
#include "train/modules/qlinear.h"
#include "train/modules/qmerge.h"

namespace bitlab::train {
namespace {

QuantizerOptions uniform(int bits, const std::string& algorithm = "ste") {
  QuantizerOptions o;
  o.bits = bits;
  o.algorithm = algorithm;
  return o;
}

// Every value of `x` is an integer multiple of `step` (within float rounding).
bool on_grid(const torch::Tensor& x, double step) {
  auto codes = x.to(torch::kFloat64) / step;
  return (codes - codes.round()).abs().max().item<double>() < 1e-4;
}

double scale_of(ActivationQuantizerImpl& q) { return q.quantizer()->levels().spec.scales.at(0); }

TEST(QConv2d, DepthwiseAndGroupedConvUseTheQuantisedWeights) {
  torch::manual_seed(1);
  for (int64_t groups : {1, 2, 8}) {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(8, 8, 3).padding(1).stride(2).groups(groups));
    auto w = uniform(4);
    w.granularity = quant::Granularity::PerChannel;
    QConv2d q(*conv, w);
    auto x = torch::randn({2, 8, 9, 9});
    auto expected = torch::conv2d(x, q->quantized_weight(), q->bias, 2, 1, 1, groups);
    EXPECT_TRUE(torch::allclose(q->forward(x), expected)) << "groups " << groups;
    EXPECT_EQ(q->forward(x).sizes(), conv->forward(x).sizes());
    // Per-channel 4-bit narrow: at most 15 distinct values per output channel.
    auto qw = q->quantized_weight().detach();
    for (int64_t c = 0; c < 8; ++c) EXPECT_LE(std::get<0>(at::_unique(qw[c])).numel(), 15);
    // Gradients reach the latent float weights.
    q->forward(x).sum().backward();
    EXPECT_TRUE(q->weight.grad().defined());
  }
}

TEST(QLinear, KeepsTheFloatWeightsAsLatentParameters) {
  torch::nn::Linear linear(6, 3);
  QLinear q(*linear, uniform(8));
  EXPECT_TRUE(torch::equal(q->weight, linear->weight));
  EXPECT_FALSE(q->weight.is_same(linear->weight)) << "a copy, so the float model stays intact";
  auto x = torch::randn({5, 6});
  EXPECT_TRUE(torch::allclose(q->forward(x), torch::linear(x, q->quantized_weight(), q->bias)));
}

TEST(QActivation, KindsAndSignedness) {
  auto x = torch::linspace(-8, 8, 161);
  QActivation relu6(QActivationOptions{.kind = ActivationKind::kRelu6}, uniform(8));
  auto y = relu6->forward(x).detach();
  EXPECT_GE(y.min().item<double>(), 0.0);
  EXPECT_LE(y.max().item<double>(), 6.0 + 1e-6);
  EXPECT_FALSE(relu6->output_quantizer->quantizer()->options().is_signed);
  QActivation identity(QActivationOptions{.kind = ActivationKind::kIdentity}, uniform(8));
  EXPECT_TRUE(identity->output_quantizer->quantizer()->options().is_signed);
  EXPECT_LT(identity->forward(x).min().item<double>(), 0.0);
  QActivation clip(QActivationOptions{.kind = ActivationKind::kClip, .clip_min = -1, .clip_max = 2}, uniform(4));
  auto c = clip->forward(x).detach();
  EXPECT_GE(c.min().item<double>(), -1.0 - 1e-6);
  EXPECT_LE(c.max().item<double>(), 2.0 + 1e-6);
}

TEST(QAdd, EachInputArrivesOnItsOwnGrid) {
  QAdd add(2, uniform(8));
  auto a = torch::randn({100}), b = 3 * torch::randn({100});
  auto sum = add->forward(a, b).detach();
  auto qa = add->input_quantizers[0]->forward(a).detach();
  auto qb = add->input_quantizers[1]->forward(b).detach();
  EXPECT_TRUE(torch::equal(sum, qa + qb));
  EXPECT_TRUE(on_grid(qa, scale_of(*add->input_quantizers[0])));
  EXPECT_TRUE(on_grid(qb, scale_of(*add->input_quantizers[1])));
  EXPECT_NE(scale_of(*add->input_quantizers[0]), scale_of(*add->input_quantizers[1]))
      << "independent scales, harmonised later by the conversion";
  EXPECT_THROW(add->forward(std::vector<torch::Tensor>{a}), std::invalid_argument);
}

TEST(QConcat, ConcatenatesQuantisedInputs) {
  QConcat cat(3, 1, uniform(4));
  std::vector<torch::Tensor> inputs = {torch::randn({2, 3, 4}), torch::randn({2, 1, 4}), torch::randn({2, 2, 4})};
  auto y = cat->forward(inputs).detach();
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 6, 4}));
  auto first = y.narrow(1, 0, 3);
  EXPECT_TRUE(on_grid(first, scale_of(*cat->input_quantizers[0])));
  EXPECT_LE(std::get<0>(at::_unique(first)).numel(), 16);
}

TEST(QAvgPool, RequantisesTheMean) {
  QAvgPool pool(torch::nn::AvgPool2dOptions(2), uniform(4));
  auto x = torch::rand({1, 2, 8, 8});
  auto y = pool->forward(x).detach();
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, 2, 4, 4}));
  EXPECT_TRUE(on_grid(y, scale_of(*pool->output_quantizer)));
  EXPECT_LT((y - torch::avg_pool2d(x, 2)).abs().max().item<double>(), scale_of(*pool->output_quantizer));
}

}  // namespace
}  // namespace bitlab::train
