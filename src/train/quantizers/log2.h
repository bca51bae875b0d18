#pragma once
// Power-of-two weights (Miyashita, Lee & Murmann, 2016). docs/algorithms-nonuniform.md.
#include "train/quantizers/quantizer.h"

namespace bitlab::train {

class Log2Impl : public QuantizerImpl {
 public:
  explicit Log2Impl(QuantizerOptions options);

  // Nearest of {0, ±2^e : e in [e_max - 2^(bits-1) + 2, e_max]} with
  // quant::Log2Levels' rounding (linear domain, ties to the smaller
  // magnitude), e_max = ceil(log2(max|w|)) per channel or per tensor,
  // recomputed every forward; STE backward (identity to the latent weight).
  torch::Tensor forward(const torch::Tensor& x) override;
  void initialize(const torch::Tensor& x) override;
  // kind "log2": spec bits / signed / power-of-two scale 2^e_min per channel,
  // values = quant::Log2Levels({bits, e_max}).levels() per channel.
  LevelSet levels() const override;

  // 2^(bits-1) - 1: magnitude code 0 is zero, the rest are exponents.
  int exponent_count() const { return (1 << (options_.bits - 1)) - 1; }
  const torch::Tensor& max_exponent() const { return max_exponent_; }

 private:
  void update(const torch::Tensor& x);

  torch::Tensor max_exponent_;  // buffer "max_exponent" [channels], int64
};
TORCH_MODULE(Log2);

}  // namespace bitlab::train
