#pragma once
// "ste": plain uniform fake quantisation trained with the straight-through
// estimator (Bengio, Léonard & Courville 2013, "Estimating or Propagating
// Gradients Through Stochastic Neurons"; the scheme of Jacob et al. 2018,
// "Quantization and Training of Neural Networks for Efficient
// Integer-Arithmetic-Only Inference"). Declared in a header because "ana"
// reuses its scale handling and only changes the rounding.
#include "train/quantizers/quantizer.h"
#include "train/quantizers/uniform_common.h"

namespace bitlab::train {

// q = clamp(round(x / s) + z, qmin, qmax), out = s * (q - z). The scale s and
// zero point z are buffers set by initialize() / set_range(), never learned.
// Buffers: "scale" [C], "zero_point" [C] (integer-valued floats; all 0 unless
// params {"affine": true}).
class SteQuantizerImpl : public QuantizerImpl {
 public:
  SteQuantizerImpl(QuantizerOptions options, bool affine, const std::string& algorithm = "ste");

  torch::Tensor forward(const torch::Tensor& x) override;
  void initialize(const torch::Tensor& x) override;
  void set_range(const torch::Tensor& min, const torch::Tensor& max) override;
  LevelSet levels() const override;

 protected:
  // x / s + z clamped to [qmin, qmax]: the real-valued code before rounding.
  // Clamping first gives the STE's zero gradient outside the range.
  torch::Tensor clamped_code(const torch::Tensor& x) const;
  // (q - z) * s for a code tensor q of x's shape (same arithmetic as levels()).
  torch::Tensor decode(const torch::Tensor& q, const torch::Tensor& x) const;

  detail::CodeRange range_;
  bool affine_;
  torch::Tensor scale_;
  torch::Tensor zero_point_;
};

}  // namespace bitlab::train
