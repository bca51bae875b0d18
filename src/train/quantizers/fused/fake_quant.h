#pragma once
// Fused per-tensor fake quantisation for "ste", "lsq" and "pact": one pass
// forward, one pass backward (fused/kernels.h), as torch::autograd::Functions.
//
// The unfused LibTorch graphs in ste.cpp, lsq.cpp and pact.cpp stay the
// reference kernels: every quantiser falls back to them where the fused path
// does not apply (see fusable), and tests/train/quantizers/fused_test.cpp
// checks fused against reference (outputs and input gradients bit for bit,
// parameter gradients to float rounding).
//
// The fused functions save x for backward and recompute the code from it
// (cheaper than storing a mask, and x is usually kept alive by the layer
// before). Modifying x in place after the quantiser is therefore an autograd
// version error here, where the reference would not notice. Their backward is
// not itself differentiable (no double backward).
#include <torch/torch.h>

namespace bitlab::train::fused {

// Whether the fused kernels take x with this 1-element parameter: both
// float32 on the CPU, x contiguous, and not switched off by ReferenceOnly.
// Callers check per-tensor granularity themselves.
bool fusable(const torch::Tensor& x, const torch::Tensor& parameter);

// While alive, fusable() is false on this thread: quantisers run their
// reference graphs (for tests and for benchmarking the two side by side).
class ReferenceOnly {
 public:
  ReferenceOnly();
  ~ReferenceOnly();
  ReferenceOnly(const ReferenceOnly&) = delete;
  ReferenceOnly& operator=(const ReferenceOnly&) = delete;

 private:
  bool previous_;
};

// "ste": (round_ste(clamp(x / scale + zero_point, qmin, qmax)) - zero_point) * scale.
// scale and zero point are buffers (no gradient), read as values.
torch::Tensor ste_fake_quant(const torch::Tensor& x, float scale, float zero_point, int qmin, int qmax);

// "lsq": round_ste(clamp(x / step, qmin, qmax)) * step, with the gradient to
// the 1-element `step` of LSQ eq. 3 (unscaled: the caller's graph applies g).
torch::Tensor lsq_fake_quant(const torch::Tensor& x, const torch::Tensor& step, int qmin, int qmax);

// "pact": y = clamp(x, lower, alpha) via PACT's where (lower = -alpha when
// `symmetric`, else 0), out = clamp(round(y / scale), kmin, qmax) * scale;
// gradient to the 1-element `alpha` is PACT's indicator sum. `scale` is alpha
// / qmax as the caller computes it (detached in the reference too).
torch::Tensor pact_fake_quant(const torch::Tensor& x, const torch::Tensor& alpha, float scale, bool symmetric,
                              int kmin, int qmax);

}  // namespace bitlab::train::fused
