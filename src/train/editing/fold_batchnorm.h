#pragma once
// Folding BatchNorm into the preceding convolution or linear layer:
//   w' = w * gamma / sqrt(var + eps)        (per output channel)
//   b' = beta + (b - mean) * gamma / sqrt(var + eps)
// Exact for inference (running statistics). The BatchNorm is replaced by an
// Identity so layer names and positions stay stable.
#include <torch/torch.h>

namespace bitlab::train {

// Folds every Conv2d→BatchNorm2d and Linear→BatchNorm1d pair that are adjacent
// in a Sequential; returns how many were folded.
int fold_batchnorm(torch::nn::Module& model);

}  // namespace bitlab::train
