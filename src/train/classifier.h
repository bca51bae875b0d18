#pragma once
// The interface the trainer needs from a network: images in, class logits out.
#include <torch/torch.h>

namespace bitlab::train {

class Classifier : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor images) = 0;
};

}  // namespace bitlab::train
