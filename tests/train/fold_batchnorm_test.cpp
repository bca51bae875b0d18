#include "train/editing/fold_batchnorm.h"

#include <gtest/gtest.h>

#include "zoo/fmnist_cnn.h"

namespace bitlab::train {
namespace {

// Gives BatchNorm non-trivial statistics and affine parameters, as after training.
void randomise_batchnorm(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& m : model.modules()) {
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get())) {
      bn->running_mean.uniform_(-0.5, 0.5);
      bn->running_var.uniform_(0.2, 3.0);
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.uniform_(-0.3, 0.3);
    }
  }
}

TEST(FoldBatchNorm, FmnistCnnOutputsUnchangedTo1e5) {
  torch::manual_seed(4);
  zoo::FmnistCnnOptions o;
  o.channels = {8, 16};
  o.convs_per_block = 2;
  zoo::FmnistCnn net(o);
  randomise_batchnorm(*net);
  net->eval();
  auto x = torch::randn({6, 1, 28, 28});
  auto before = net->forward(x);
  EXPECT_EQ(fold_batchnorm(*net), 4);
  auto after = net->forward(x);
  EXPECT_LT((after - before).abs().max().item<double>(), 1e-5);
  int batchnorms = 0;
  for (auto& m : net->modules()) batchnorms += dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get()) != nullptr;
  EXPECT_EQ(batchnorms, 0);
  EXPECT_EQ(fold_batchnorm(*net), 0) << "folding is idempotent";
}

TEST(FoldBatchNorm, GroupedConvAndLinearWithBatchNorm1d) {
  torch::manual_seed(5);
  torch::nn::Sequential seq(torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 8, 3).groups(4).padding(1)),
                            torch::nn::BatchNorm2d(8), torch::nn::ReLU(), torch::nn::Flatten(),
                            torch::nn::Linear(8 * 5 * 5, 6), torch::nn::BatchNorm1d(6));
  for (auto& m : seq->modules()) {
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm1dImpl*>(m.get())) {
      torch::NoGradGuard g;
      bn->running_mean.uniform_(-1, 1);
      bn->running_var.uniform_(0.5, 2);
    }
  }
  randomise_batchnorm(*seq);
  seq->eval();
  auto x = torch::randn({3, 4, 5, 5});
  auto before = seq->forward(x);
  EXPECT_EQ(fold_batchnorm(*seq), 2);
  EXPECT_LT((seq->forward(x) - before).abs().max().item<double>(), 1e-5);
}

TEST(FoldBatchNorm, NonAdjacentPairsAreLeftAlone) {
  torch::nn::Sequential seq(torch::nn::Conv2d(1, 2, 3), torch::nn::ReLU(), torch::nn::BatchNorm2d(2));
  EXPECT_EQ(fold_batchnorm(*seq), 0);
}

}  // namespace
}  // namespace bitlab::train
