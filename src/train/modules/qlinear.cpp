#include "train/modules/qlinear.h"

namespace bitlab::train {

QLinearImpl::QLinearImpl(const torch::nn::LinearImpl& source, QuantizerOptions weight_quantizer) {
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

torch::Tensor QLinearImpl::quantized_weight() { return weight_quantizer->forward(weight); }

torch::Tensor QLinearImpl::forward(const torch::Tensor& x) { return torch::linear(x, quantized_weight(), bias); }

}  // namespace bitlab::train
