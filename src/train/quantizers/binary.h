#pragma once
// Binary quantiser: BinaryConnect (Courbariaux, Bengio & David, 2015), BNN
// (Hubara, Courbariaux, Soudry, El-Yaniv & Bengio, 2016) and XNOR-Net weights
// (Rastegari, Ordonez, Redmon & Farhadi, 2016). docs/algorithms-nonuniform.md.
#include "train/quantizers/quantizer.h"

namespace bitlab::train {

class BinaryImpl : public QuantizerImpl {
 public:
  explicit BinaryImpl(QuantizerOptions options);

  // alpha * sign(x) with sign(0) = +1; alpha detached. Backward: the hardtanh
  // STE, dL/dx = alpha * dL/dy where |x| <= clip, 0 elsewhere.
  torch::Tensor forward(const torch::Tensor& x) override;
  void initialize(const torch::Tensor& x) override;
  LevelSet levels() const override;

  bool scaled() const { return scaled_; }
  double clip() const { return clip_; }
  const torch::Tensor& alpha() const { return alpha_; }

 private:
  void update_alpha(const torch::Tensor& x);

  bool scaled_;   // params.scale == "mean" (XNOR-Net) rather than "none" (BNN)
  double clip_;   // |x| beyond which the STE passes no gradient
  torch::Tensor alpha_;  // buffer "alpha" [channels]: mean |x| per channel, or 1
};
TORCH_MODULE(Binary);

}  // namespace bitlab::train
