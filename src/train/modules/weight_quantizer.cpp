#include "train/modules/weight_quantizer.h"

namespace bitlab::train {

Quantizer make_weight_quantizer(QuantizerOptions options, const torch::Tensor& weight) {
  options.role = TensorRole::kWeight;
  options.axis = 0;
  options.channels = options.granularity == quant::Granularity::PerChannel ? weight.size(0) : 1;
  auto quantizer = make_quantizer(options);
  torch::NoGradGuard no_grad;
  quantizer->initialize(weight.detach());
  return quantizer;
}

}  // namespace bitlab::train
