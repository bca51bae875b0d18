#include "train/modules/qconv2d.h"

#include <fmt/format.h>

#include "common/error.h"
#include "train/modules/weight_quantizer.h"

namespace bitlab::train {

void check_quantizable_conv(const Conv2dConfig& options, const char* module) {
  // Unqualified: LibTorch 1.13 uses c10::variant, newer releases std::variant; ADL finds either.
  if (!holds_alternative<torch::ExpandingArray<2>>(options.padding()) ||
      !holds_alternative<torch::enumtype::kZeros>(options.padding_mode())) {
    throw ConfigError(fmt::format(
        "{} supports explicit zero padding only (not \"same\"/\"valid\" or non-zero padding modes)", module));
  }
}

torch::Tensor conv2d_as(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                        const Conv2dConfig& options) {
  const auto& padding = get<torch::ExpandingArray<2>>(options.padding());
  return torch::conv2d(x, weight, bias, *options.stride(), *padding, *options.dilation(), options.groups());
}

QConv2dImpl::QConv2dImpl(const torch::nn::Conv2dImpl& source, QuantizerOptions weight_quantizer)
    : conv_options(source.options) {
  check_quantizable_conv(conv_options, "QConv2d");
  weight = register_parameter("weight", source.weight.detach().clone());
  if (source.bias.defined()) bias = register_parameter("bias", source.bias.detach().clone());
  this->weight_quantizer = register_module("weight_quantizer", make_weight_quantizer(weight_quantizer, weight));
}

torch::Tensor QConv2dImpl::quantized_weight() { return weight_quantizer->forward(weight); }

torch::Tensor QConv2dImpl::forward(const torch::Tensor& x) {
  return conv2d_as(x, quantized_weight(), bias, conv_options);
}

}  // namespace bitlab::train
