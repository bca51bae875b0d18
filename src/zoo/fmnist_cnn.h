#pragma once
// The small CNN bitlab trains on Fashion-MNIST by default: conv-BN-ReLU blocks
// with max pooling, then a linear head. Layers are named children of two
// Sequentials ("features.conv0_0", "classifier.fc0"...) so precision policies
// and the tracer can address them by name.
#include <torch/torch.h>

#include "train/classifier.h"
#include "zoo/fmnist_cnn_options.h"

namespace bitlab::zoo {

class FmnistCnnImpl : public train::Classifier {
 public:
  explicit FmnistCnnImpl(FmnistCnnOptions options = {});
  torch::Tensor forward(torch::Tensor x) override;
  const FmnistCnnOptions& options() const { return options_; }

 private:
  FmnistCnnOptions options_;
  torch::nn::Sequential features_{nullptr};
  torch::nn::Sequential classifier_{nullptr};
};
TORCH_MODULE(FmnistCnn);

// Multiply-accumulates of one forward pass (convolutions and linear layers).
int64_t count_macs(const FmnistCnnOptions& options);

}  // namespace bitlab::zoo
