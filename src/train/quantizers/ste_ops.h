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

// Returns `value`'s values exactly, with the gradient of `surrogate` (same
// shape, or broadcastable to it). `surrogate - surrogate.detach()` is exactly 0
// for finite values, so no float rounding touches `value`; the more common
// `x + (q - x).detach()` can move q by an ulp and knock it off its level.
inline torch::Tensor with_gradient_of(const torch::Tensor& value, const torch::Tensor& surrogate) {
  return value.detach() + (surrogate - surrogate.detach());
}

// Multiplies the gradient reaching `x` by `scale` without changing its value
// (LSQ's step-size gradient scale). Value-exact, see with_gradient_of.
inline torch::Tensor scale_gradient(const torch::Tensor& x, double scale) {
  return with_gradient_of(x, x * scale);
}

// Reshapes a per-channel parameter [C] so it broadcasts along `axis` of a tensor of `dim` dims.
inline torch::Tensor per_channel_view(const torch::Tensor& p, int64_t axis, int64_t dim) {
  std::vector<int64_t> shape(static_cast<size_t>(dim), 1);
  shape[static_cast<size_t>(axis)] = p.numel();
  return p.view(shape);
}

}  // namespace bitlab::train::ste
