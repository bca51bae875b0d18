#pragma once
// Conv2d (incl. depthwise and grouped) with fake-quantised weights. Built from
// a float Conv2d, whose weights and bias it takes over; the weight quantiser is
// initialised from those weights (per output channel by default).
#include <torch/torch.h>

#include "train/quantizers/quantizer.h"

namespace bitlab::train {

using Conv2dConfig = torch::nn::detail::ConvNdOptions<2>;

// Throws ConfigError unless the convolution uses explicit zero padding, the one
// form the fake-quantised convolutions (and the integer graph) implement.
void check_quantizable_conv(const Conv2dConfig& options, const char* module);

// torch::conv2d with the geometry of `options` (bias may be undefined).
torch::Tensor conv2d_as(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                        const Conv2dConfig& options);

class QConv2dImpl : public torch::nn::Module {
 public:
  QConv2dImpl(const torch::nn::Conv2dImpl& source, QuantizerOptions weight_quantizer);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor quantized_weight();

  Conv2dConfig conv_options;
  torch::Tensor weight;
  torch::Tensor bias;  // undefined when the source had none
  Quantizer weight_quantizer{nullptr};
};
TORCH_MODULE(QConv2d);

}  // namespace bitlab::train
