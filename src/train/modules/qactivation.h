#pragma once
// An activation function followed by an output quantiser: the float ReLU,
// ReLU6 or clip of a network, replaced so its output lies on the level set
// the integer graph will hold.
#include <torch/torch.h>

#include "train/modules/activation_quantizer.h"

namespace bitlab::train {

enum class ActivationKind { kIdentity, kRelu, kRelu6, kClip };

struct QActivationOptions {
  ActivationKind kind = ActivationKind::kRelu;
  double clip_min = 0.0;  // kClip only
  double clip_max = 6.0;
};

class QActivationImpl : public torch::nn::Module {
 public:
  // The output quantiser is unsigned for ReLU-like kinds (their outputs are >= 0).
  QActivationImpl(QActivationOptions options, QuantizerOptions quantizer);
  torch::Tensor forward(const torch::Tensor& x);
  const QActivationOptions& options() const { return options_; }
  ActivationQuantizer output_quantizer{nullptr};

 private:
  QActivationOptions options_;
};
TORCH_MODULE(QActivation);

}  // namespace bitlab::train
