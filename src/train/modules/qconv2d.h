#pragma once
// Conv2d (incl. depthwise and grouped) with fake-quantised weights. Built from
// a float Conv2d, whose weights and bias it takes over; the weight quantiser is
// initialised from those weights (per output channel by default).
#include <torch/torch.h>

#include "train/quantizers/quantizer.h"

namespace bitlab::train {

class QConv2dImpl : public torch::nn::Module {
 public:
  QConv2dImpl(const torch::nn::Conv2dImpl& source, QuantizerOptions weight_quantizer);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor quantized_weight();

  torch::nn::detail::ConvNdOptions<2> conv_options;
  torch::Tensor weight;
  torch::Tensor bias;  // undefined when the source had none
  Quantizer weight_quantizer{nullptr};
};
TORCH_MODULE(QConv2d);

}  // namespace bitlab::train
