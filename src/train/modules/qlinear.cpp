#include "train/modules/qlinear.h"

#include "train/modules/weight_quantizer.h"

namespace bitlab::train {

QLinearImpl::QLinearImpl(const torch::nn::LinearImpl& source, QuantizerOptions weight_quantizer) {
  weight = register_parameter("weight", source.weight.detach().clone());
  if (source.bias.defined()) bias = register_parameter("bias", source.bias.detach().clone());
  this->weight_quantizer = register_module("weight_quantizer", make_weight_quantizer(weight_quantizer, weight));
}

torch::Tensor QLinearImpl::quantized_weight() { return weight_quantizer->forward(weight); }

torch::Tensor QLinearImpl::forward(const torch::Tensor& x) { return torch::linear(x, quantized_weight(), bias); }

}  // namespace bitlab::train
