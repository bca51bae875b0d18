#pragma once
// Ternary Weight Networks (Li & Liu, 2016). docs/algorithms-nonuniform.md.
#include "train/quantizers/quantizer.h"

namespace bitlab::train {

class TwnImpl : public QuantizerImpl {
 public:
  explicit TwnImpl(QuantizerOptions options);

  // alpha * sign(w) * [|w| > delta] with delta = 0.7 * mean|w| and alpha the
  // mean of |w| above delta, per channel or per tensor; STE backward (the
  // latent weight receives dL/dw' unchanged, delta and alpha are constants).
  torch::Tensor forward(const torch::Tensor& x) override;
  void initialize(const torch::Tensor& x) override;
  LevelSet levels() const override;

  const torch::Tensor& delta() const { return delta_; }
  const torch::Tensor& alpha() const { return alpha_; }

  // The paper's approximation of the optimal threshold: 0.7 * E|w|.
  static constexpr double kThresholdFactor = 0.7;

 private:
  void update(const torch::Tensor& x);

  torch::Tensor delta_;  // buffer "delta" [channels]
  torch::Tensor alpha_;  // buffer "alpha" [channels]
};
TORCH_MODULE(Twn);

}  // namespace bitlab::train
