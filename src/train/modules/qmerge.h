#pragma once
// Modules that merge branches. Each input has its own quantiser, so every
// branch arrives on a known grid; the conversion pass later brings the grids
// to one scale (epsilon-harmonisation) with a requantisation per branch.
#include <torch/torch.h>

#include <vector>

#include "train/modules/activation_quantizer.h"

namespace bitlab::train {

class QAddImpl : public torch::nn::Module {
 public:
  QAddImpl(int64_t inputs, QuantizerOptions quantizer);
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& b);
  torch::Tensor forward(const std::vector<torch::Tensor>& inputs);
  std::vector<ActivationQuantizer> input_quantizers;
};
TORCH_MODULE(QAdd);

class QConcatImpl : public torch::nn::Module {
 public:
  QConcatImpl(int64_t inputs, int64_t dim, QuantizerOptions quantizer);
  torch::Tensor forward(const std::vector<torch::Tensor>& inputs);
  std::vector<ActivationQuantizer> input_quantizers;
  int64_t dim;
};
TORCH_MODULE(QConcat);

// Average pooling whose output is re-quantised (the mean leaves the input grid).
class QAvgPoolImpl : public torch::nn::Module {
 public:
  QAvgPoolImpl(torch::nn::AvgPool2dOptions options, QuantizerOptions quantizer);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::AvgPool2dOptions options;
  ActivationQuantizer output_quantizer{nullptr};
};
TORCH_MODULE(QAvgPool);

}  // namespace bitlab::train
