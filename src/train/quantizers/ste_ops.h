#pragma once
// Differentiable building blocks shared by the QAT algorithms. "STE" is the
// straight-through estimator: the forward applies a step function, the
// backward treats it as the identity.
#include <torch/torch.h>

namespace bitlab::train::ste {

// round-half-to-even forward (torch.round, like quant::RoundingMode::HalfToEven),
// identity backward.
inline torch::Tensor round(const torch::Tensor& x) { return x + (torch::round(x) - x).detach(); }
inline torch::Tensor floor(const torch::Tensor& x) { return x + (torch::floor(x) - x).detach(); }
inline torch::Tensor ceil(const torch::Tensor& x) { return x + (torch::ceil(x) - x).detach(); }
inline torch::Tensor sign(const torch::Tensor& x) {
  // sign with sign(0) = +1, so binary levels are exactly {-1, +1}.
  auto s = torch::where(x >= 0, torch::ones_like(x), -torch::ones_like(x));
  return x + (s - x).detach();
}

// Multiplies the gradient reaching `x` by `scale` without changing its value
// (LSQ's step-size gradient scale).
inline torch::Tensor scale_gradient(const torch::Tensor& x, double scale) {
  return (x - x * scale).detach() + x * scale;
}

// Reshapes a per-channel parameter [C] so it broadcasts along `axis` of a tensor of `dim` dims.
inline torch::Tensor per_channel_view(const torch::Tensor& p, int64_t axis, int64_t dim) {
  std::vector<int64_t> shape(static_cast<size_t>(dim), 1);
  shape[static_cast<size_t>(axis)] = p.numel();
  return p.view(shape);
}

}  // namespace bitlab::train::ste
