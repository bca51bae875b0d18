#pragma once
// Incremental Network Quantization (Zhou, Yao, Guo, Xu & Chen, 2017). docs/algorithms-nonuniform.md.
#include "train/quantizers/quantizer.h"

#include <vector>

namespace bitlab::train {

class InqImpl : public QuantizerImpl {
 public:
  explicit InqImpl(QuantizerOptions options);

  // Frozen weights take their frozen power-of-two value (no gradient), the
  // others pass through unchanged (they keep training). On the first forward
  // after progress reaches at[i], the largest-magnitude unfrozen weights are
  // frozen until fractions[i] of the tensor is. Initialises itself from x
  // on the first forward if initialize() was not called.
  torch::Tensor forward(const torch::Tensor& x) override;
  // Fixes n1 = floor(log2(4 max|w| / 3)) and unfreezes everything.
  void initialize(const torch::Tensor& x) override;
  // kind "log2": {0, ±2^e : e in [n2, n1]}. Throws std::logic_error before
  // initialisation (n1 unknown).
  LevelSet levels() const override;

  bool initialized() const { return frozen_mask_.numel() > 0; }
  int n1() const;
  int n2() const { return n1() + 1 - exponent_count(); }
  // 2^(bits-2) exponents: the paper spends one bit on zero and one on sign.
  int exponent_count() const { return 1 << (options_.bits - 2); }
  // Fraction of the tensor frozen so far (0 before initialisation).
  double frozen_fraction() const;
  // The fraction the schedule asks for at `progress`.
  double scheduled_fraction(double progress) const;
  const std::vector<double>& fractions() const { return fractions_; }
  const std::vector<double>& at() const { return at_; }
  const torch::Tensor& frozen_mask() const { return frozen_mask_; }
  const torch::Tensor& frozen_values() const { return frozen_values_; }

 private:
  // Number of schedule points at or below `progress`.
  int64_t stage_for(double progress) const;
  void freeze(const torch::Tensor& x, double fraction);

  std::vector<double> fractions_;  // params.fractions
  std::vector<double> at_;         // params.at
  torch::Tensor max_exponent_;     // buffer "max_exponent" [1], int64: n1
  torch::Tensor stage_;            // buffer "stage" [1], int64: schedule points applied
  torch::Tensor frozen_mask_;      // buffer "frozen_mask", bool, weight-shaped (empty until initialised)
  torch::Tensor frozen_values_;    // buffer "frozen_values", float32, weight-shaped (0 where not frozen)
};
TORCH_MODULE(Inq);

}  // namespace bitlab::train
