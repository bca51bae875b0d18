#pragma once
// Linear with fake-quantised weights, built from a float Linear.
#include <torch/torch.h>

#include "train/quantizers/quantizer.h"

namespace bitlab::train {

class QLinearImpl : public torch::nn::Module {
 public:
  QLinearImpl(const torch::nn::LinearImpl& source, QuantizerOptions weight_quantizer);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor quantized_weight();

  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // undefined when the source had none
  Quantizer weight_quantizer{nullptr};
};
TORCH_MODULE(QLinear);

}  // namespace bitlab::train
