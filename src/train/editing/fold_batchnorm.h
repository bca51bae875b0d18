#pragma once
// Folding BatchNorm into the preceding convolution or linear layer:
//   w' = w * gamma / sqrt(var + eps)        (per output channel)
//   b' = beta + (b - mean) * gamma / sqrt(var + eps)
// Exact for inference (running statistics). The BatchNorm is replaced by an
// Identity so layer names and positions stay stable.
#include <torch/torch.h>

#include <utility>

namespace bitlab::train {

// What folding reads from a BatchNorm. gamma/beta are undefined for a
// non-affine BatchNorm (gamma = 1, beta = 0).
struct BatchNormStatistics {
  torch::Tensor mean, var, gamma, beta;
  double eps = 1e-5;
};

// (w', b') for a layer with weight [out, ...] and optional (undefined) bias.
// Computed in float64 so the folded layer matches conv+BN to float32 rounding;
// differentiable, so QConvBn2d trains through the very same arithmetic and its
// folded weights are bit-identical to what fold_batchnorm exports.
std::pair<torch::Tensor, torch::Tensor> fold_into(const torch::Tensor& weight, const torch::Tensor& bias,
                                                  const BatchNormStatistics& bn);

// Folds every Conv2d→BatchNorm2d and Linear→BatchNorm1d pair that are adjacent
// in a Sequential; returns how many were folded.
int fold_batchnorm(torch::nn::Module& model);

}  // namespace bitlab::train
