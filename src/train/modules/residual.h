#pragma once
// A residual block as a container the editors and the tracer can follow:
// y = merge(main(x), shortcut(x)). Both branches are Sequentials, so
// fold_batchnorm and quantize_model edit them like any other Sequential; an
// empty shortcut is the identity. The merge is a float add until
// quantize_model gives it a QAdd (its input quantisers put both branches on a
// known grid, which the tracer emits as quant → add and the conversion's
// ε-harmonisation brings to one scale). Anything after the sum (the ReLU of a
// ResNet block) belongs to the enclosing Sequential, after this element.
#include <torch/torch.h>

#include "train/modules/qmerge.h"

namespace bitlab::train {

class ResidualImpl : public torch::nn::Module {
 public:
  // `shortcut` may be empty (identity).
  ResidualImpl(torch::nn::Sequential main, torch::nn::Sequential shortcut);
  torch::Tensor forward(const torch::Tensor& x);

  // Replaces the float add by a QAdd quantising both branches per `quantizer`
  // (registered as child "add", so policies name it "<block>.add").
  void quantize_merge(const QuantizerOptions& quantizer);

  torch::nn::Sequential main{nullptr};
  torch::nn::Sequential shortcut{nullptr};
  QAdd add{nullptr};  // null: float add
};
TORCH_MODULE(Residual);

}  // namespace bitlab::train
