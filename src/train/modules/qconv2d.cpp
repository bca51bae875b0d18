#include "train/modules/qconv2d.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab::train {

QConv2dImpl::QConv2dImpl(const torch::nn::Conv2dImpl& source, QuantizerOptions weight_quantizer)
    : conv_options(source.options) {
  // Unqualified: LibTorch 1.13 uses c10::variant, newer releases std::variant; ADL finds either.
  if (!holds_alternative<torch::ExpandingArray<2>>(conv_options.padding()) ||
      !holds_alternative<torch::enumtype::kZeros>(conv_options.padding_mode())) {
    throw ConfigError("QConv2d supports explicit zero padding only (not \"same\"/\"valid\" or non-zero padding modes)");
  }
  weight = register_parameter("weight", source.weight.detach().clone());
  if (source.bias.defined()) bias = register_parameter("bias", source.bias.detach().clone());
  weight_quantizer.role = TensorRole::kWeight;
  weight_quantizer.axis = 0;
  weight_quantizer.channels =
      weight_quantizer.granularity == quant::Granularity::PerChannel ? weight.size(0) : 1;
  this->weight_quantizer = register_module("weight_quantizer", make_quantizer(weight_quantizer));
  torch::NoGradGuard no_grad;
  this->weight_quantizer->initialize(weight.detach());
}

torch::Tensor QConv2dImpl::quantized_weight() { return weight_quantizer->forward(weight); }

torch::Tensor QConv2dImpl::forward(const torch::Tensor& x) {
  const auto& padding = get<torch::ExpandingArray<2>>(conv_options.padding());
  return torch::conv2d(x, quantized_weight(), bias, *conv_options.stride(), *padding, *conv_options.dilation(),
                       conv_options.groups());
}

}  // namespace bitlab::train
