#include "train/modules/qactivation.h"

namespace bitlab::train {

QActivationImpl::QActivationImpl(QActivationOptions options, QuantizerOptions quantizer) : options_(options) {
  quantizer.role = TensorRole::kActivation;
  quantizer.is_signed = options_.kind == ActivationKind::kIdentity ||
                        (options_.kind == ActivationKind::kClip && options_.clip_min < 0);
  quantizer.granularity = quant::Granularity::PerTensor;
  output_quantizer = register_module("output_quantizer", ActivationQuantizer(quantizer));
}

torch::Tensor QActivationImpl::forward(const torch::Tensor& x) {
  torch::Tensor y;
  switch (options_.kind) {
    case ActivationKind::kIdentity: y = x; break;
    case ActivationKind::kRelu: y = torch::relu(x); break;
    case ActivationKind::kRelu6: y = torch::clamp(x, 0.0, 6.0); break;
    case ActivationKind::kClip: y = torch::clamp(x, options_.clip_min, options_.clip_max); break;
  }
  return output_quantizer->forward(y);
}

}  // namespace bitlab::train
