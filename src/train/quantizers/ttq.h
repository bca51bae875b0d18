#pragma once
// Trained Ternary Quantization (Zhu, Han, Mao & Dally, 2017). docs/algorithms-nonuniform.md.
#include "train/quantizers/quantizer.h"

namespace bitlab::train {

class TtqImpl : public QuantizerImpl {
 public:
  explicit TtqImpl(QuantizerOptions options);

  // w' = Wp where w > delta, -Wn where w < -delta, 0 elsewhere, with
  // delta = t * max|w|. Gradients: dL/dWp = sum of dL/dw' over w > delta,
  // dL/dWn = -sum over w < -delta; the latent weight gets Wp * dL/dw',
  // dL/dw' and Wn * dL/dw' in the positive, zero and negative regions.
  // The first forward initialises Wp / Wn when initialize() was not called.
  torch::Tensor forward(const torch::Tensor& x) override;
  // Wp = mean of w over w > delta, Wn = mean of |w| over w < -delta.
  void initialize(const torch::Tensor& x) override;
  // Throws std::logic_error before initialisation (Wp / Wn unknown).
  LevelSet levels() const override;

  bool initialized() const { return wp_.numel() == 1; }
  double threshold() const { return threshold_; }
  const torch::Tensor& wp() const { return wp_; }
  const torch::Tensor& wn() const { return wn_; }
  const torch::Tensor& delta() const { return delta_; }

 private:
  double threshold_;     // params.t
  torch::Tensor wp_;     // parameter "wp" [1] (empty until initialised)
  torch::Tensor wn_;     // parameter "wn" [1] (empty until initialised)
  torch::Tensor delta_;  // buffer "delta" [1]: the last threshold t * max|w|
};
TORCH_MODULE(Ttq);

}  // namespace bitlab::train
