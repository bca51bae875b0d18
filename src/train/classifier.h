#pragma once
// The interface the trainer needs from a network: images in, class logits out.
// A network being quantised also quantises its input, so the integer graph
// starts from integers: subclasses call quantize_input() first in forward().
#include <torch/torch.h>

#include "train/modules/activation_quantizer.h"

namespace bitlab::train {

class Classifier : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor images) = 0;

  void set_input_quantizer(ActivationQuantizer quantizer) {
    if (input_quantizer_) {
      input_quantizer_ = replace_module("input_quantizer", quantizer);
    } else {
      input_quantizer_ = register_module("input_quantizer", quantizer);
    }
  }
  const ActivationQuantizer& input_quantizer() const { return input_quantizer_; }

 protected:
  torch::Tensor quantize_input(const torch::Tensor& images) {
    return input_quantizer_ ? input_quantizer_->forward(images) : images;
  }

 private:
  ActivationQuantizer input_quantizer_{nullptr};
};

}  // namespace bitlab::train
