#include "train/modules/qconv_bn2d.h"

#include <gtest/gtest.h>

#include "train/editing/fold_batchnorm.h"
#include "train/editing/quantize_model.h"
#include "train/modules/qconv2d.h"
#include "train/policy.h"
#include "zoo/fmnist_cnn.h"

namespace bitlab::train {
namespace {

// Non-trivial statistics and affine parameters, as after float training.
void randomise(torch::nn::BatchNorm2dImpl& bn) {
  torch::NoGradGuard no_grad;
  bn.running_mean.uniform_(-0.5, 0.5);
  bn.running_var.uniform_(0.2, 3.0);
  bn.weight.uniform_(0.5, 1.5);
  bn.bias.uniform_(-0.3, 0.3);
}

QuantizerOptions weight_options(int bits, const std::string& algorithm) {
  return resolve_quantizer(flat_policy(bits, 8, algorithm), "conv", TensorRole::kWeight);
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

struct ConvBn {
  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d bn;
};

ConvBn conv_bn(bool bias, int64_t groups = 1) {
  ConvBn p{torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 6, 3).padding(1).groups(groups).bias(bias)),
           torch::nn::BatchNorm2d(6)};
  randomise(*p.bn);
  return p;
}

// Eval must be what inference-exact folding + QConv2d computes, bit for bit:
// both fold with the same float64 fold_into, so the float32 folded weights, the
// quantiser initialised from them, and the convolution are identical.
class EvalEqualsFoldThenQConv2d : public ::testing::TestWithParam<std::tuple<std::string, bool, int64_t>> {};

TEST_P(EvalEqualsFoldThenQConv2d, Exactly) {
  const auto& [algorithm, bias, groups] = GetParam();
  torch::manual_seed(21);
  auto p = conv_bn(bias, groups);
  QConvBn2d trained(*p.conv, *p.bn, weight_options(4, algorithm));
  torch::nn::Sequential seq(p.conv, p.bn);
  ASSERT_EQ(fold_batchnorm(*seq), 1);
  QConv2d folded(*seq[0]->as<torch::nn::Conv2d>(), weight_options(4, algorithm));
  trained->eval();
  folded->eval();
  auto x = torch::randn({5, 4, 7, 7});
  EXPECT_TRUE(torch::equal(trained->folded_weight(), folded->weight));
  EXPECT_TRUE(torch::equal(trained->folded_bias(), folded->bias));
  EXPECT_TRUE(torch::equal(trained->quantized_weight(), folded->quantized_weight()));
  EXPECT_TRUE(torch::equal(trained->forward(x), folded->forward(x)));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, EvalEqualsFoldThenQConv2d,
                         ::testing::Values(std::make_tuple("ste", true, 1), std::make_tuple("lsq", false, 1),
                                           std::make_tuple("lsq", true, 2), std::make_tuple("pact", false, 1)));

// With a 16-bit weight quantiser (≈ identity) training before the freeze is
// conv + BatchNorm with batch statistics: the output, the gradients and the
// running statistics.
TEST(QConvBn2d, TrainingBeforeFreezeIsConvPlusBatchNormWithBatchStatistics) {
  torch::manual_seed(22);
  auto p = conv_bn(/*bias=*/true);
  QConvBn2d trained(*p.conv, *p.bn, weight_options(16, "ste"));
  // The running-stat updates move w_fold; a range 1.25× the initial one keeps
  // the grid from clipping it (checked below). What remains is the 16-bit
  // rounding of the weights: the largest of these ~1700 output differences is
  // ~1e-4 and scales with the step (~1.7e-4 with a 2× range), so it is the
  // quantiser's, not the folding arithmetic's.
  auto initial_range = trained->folded_weight().detach().abs().amax({1, 2, 3}) * 1.25;
  trained->weight_quantizer->initialize(1.25 * trained->folded_weight().detach());
  torch::nn::Sequential reference(p.conv, p.bn);
  trained->train();
  reference->train();
  for (int step = 0; step < 3; ++step) {
    auto x = torch::randn({8, 4, 6, 6}) * 2 + 0.5;
    auto y = trained->forward(x);
    auto y_ref = reference->forward(x);
    EXPECT_LT(max_difference(y, y_ref), 2e-4) << "step " << step;
    EXPECT_TRUE((trained->folded_weight().abs().amax({1, 2, 3}) <= initial_range).all().item<bool>());
    EXPECT_LT(max_difference(trained->running_mean, p.bn->running_mean), 1e-5);
    EXPECT_LT(max_difference(trained->running_var, p.bn->running_var), 1e-5);
    EXPECT_EQ(trained->num_batches_tracked.item<int64_t>(), p.bn->num_batches_tracked.item<int64_t>());
  }
  // Gradients flow through the batch statistics as in BatchNorm (STE passes
  // them through the quantiser). The conv bias cancels: BatchNorm gives it a
  // ~0 gradient, QConvBn2d none at all (it only enters the running mean).
  auto x = torch::randn({8, 4, 6, 6});
  auto target = torch::randn({8, 6, 6, 6});
  trained->zero_grad();
  reference->zero_grad();
  (trained->forward(x) * target).sum().backward();
  (reference->forward(x) * target).sum().backward();
  EXPECT_LT(max_difference(trained->weight.grad(), p.conv->weight.grad()), 1e-3);
  EXPECT_LT(max_difference(trained->bn_weight.grad(), p.bn->weight.grad()), 1e-3);
  EXPECT_LT(max_difference(trained->bn_bias.grad(), p.bn->bias.grad()), 1e-4);
  EXPECT_FALSE(trained->bias.grad().defined());
  EXPECT_LT(p.conv->bias.grad().abs().max().item<double>(), 1e-4);
}

TEST(QConvBn2d, CumulativeAverageWhenMomentumIsUnset) {
  torch::manual_seed(23);
  ConvBn p{torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 6, 3).bias(false)),
           torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(6).momentum(c10::nullopt))};
  QConvBn2d trained(*p.conv, *p.bn, weight_options(8, "ste"));
  torch::nn::Sequential reference(p.conv, p.bn);
  for (int step = 0; step < 3; ++step) {
    auto x = torch::randn({4, 4, 5, 5}) + step;
    trained->forward(x);
    reference->forward(x);
  }
  EXPECT_LT(max_difference(trained->running_mean, p.bn->running_mean), 1e-5);
  EXPECT_LT(max_difference(trained->running_var, p.bn->running_var), 1e-5);
}

// After the freeze point training uses (and keeps) the running statistics:
// the training forward is the eval forward.
TEST(QConvBn2d, AfterTheFreezeTrainingUsesRunningStatistics) {
  torch::manual_seed(24);
  auto p = conv_bn(/*bias=*/true);
  QConvBn2dOptions options;
  options.freeze_progress = 0.5;
  QConvBn2d trained(*p.conv, *p.bn, weight_options(8, "ste"), options);
  auto x = torch::randn({8, 4, 6, 6}) * 3 + 1;
  auto mean = trained->running_mean.clone();
  auto var = trained->running_var.clone();

  trained->set_progress(0.4);
  EXPECT_FALSE(trained->frozen());
  trained->train();
  auto batch_statistics = trained->forward(x);
  EXPECT_FALSE(torch::equal(trained->running_mean, mean)) << "statistics update before the freeze";

  trained->set_progress(0.5);
  EXPECT_TRUE(trained->frozen());
  mean = trained->running_mean.clone();
  var = trained->running_var.clone();
  auto frozen = trained->forward(x);
  EXPECT_TRUE(torch::equal(trained->running_mean, mean));
  EXPECT_TRUE(torch::equal(trained->running_var, var));
  trained->eval();
  EXPECT_TRUE(torch::equal(frozen, trained->forward(x)));
  EXPECT_GT(max_difference(frozen, batch_statistics), 0.1) << "x's statistics are far from the running ones";
  // Gradients reach γ and β through the folded bias and weights.
  trained->train();
  trained->forward(x).sum().backward();
  EXPECT_GT(trained->bn_weight.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(trained->bn_bias.grad().abs().sum().item<double>(), 0.0);
}

zoo::FmnistCnn cnn_with_trained_batchnorm() {
  torch::manual_seed(25);
  zoo::FmnistCnnOptions o;
  o.channels = {8, 8};
  o.convs_per_block = 2;
  o.hidden = 16;
  o.dropout = 0;
  zoo::FmnistCnn net(o);
  for (auto& m : net->modules()) {
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get())) randomise(*bn);
  }
  return net;
}

// The network-level edit: same layer names, BatchNorms become Identities, and
// in eval the network is exactly the fold-then-quantise one (activation
// quantisers included, since they initialise from identical tensors).
TEST(QConvBn2d, QuantizeModelTrainsBatchNormFoldedAndEvalMatchesFolding) {
  auto policy = flat_policy(4, 4, "lsq");
  auto folded = cnn_with_trained_batchnorm();
  fold_batchnorm(*folded);
  auto folded_layers = quantize_model(*folded, policy);
  auto trained = cnn_with_trained_batchnorm();
  QuantizeModelOptions options;
  options.train_batchnorm = true;
  options.conv_bn.freeze_progress = 0.75;
  auto trained_layers = quantize_model(*trained, policy, options);
  EXPECT_EQ(trained_layers.weight_layers, folded_layers.weight_layers);
  EXPECT_EQ(trained_layers.activation_layers, folded_layers.activation_layers);
  int conv_bns = 0, batchnorms = 0, convs = 0;
  for (auto& m : trained->modules()) {
    conv_bns += dynamic_cast<QConvBn2dImpl*>(m.get()) != nullptr;
    batchnorms += dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get()) != nullptr;
    convs += dynamic_cast<QConv2dImpl*>(m.get()) != nullptr;
  }
  EXPECT_EQ(conv_bns, 4);
  EXPECT_EQ(batchnorms, 0);
  EXPECT_EQ(convs, 0);
  folded->eval();
  trained->eval();
  auto x = torch::randn({6, 1, 28, 28});
  EXPECT_TRUE(torch::equal(trained->forward(x), folded->forward(x)));

  set_quantization_progress(*trained, 0.7);
  for (auto& m : trained->modules()) {
    if (auto* q = dynamic_cast<QConvBn2dImpl*>(m.get())) {
      EXPECT_FALSE(q->frozen());
    }
  }
  set_quantization_progress(*trained, 0.75);
  for (auto& m : trained->modules()) {
    if (auto* q = dynamic_cast<QConvBn2dImpl*>(m.get())) {
      EXPECT_TRUE(q->frozen());
    }
  }
}

}  // namespace
}  // namespace bitlab::train
