#pragma once
// "bayesian_bits": the gated residual quantiser of Bayesian Bits (van Baalen,
// Louizos, Nagel, Amjad, Wang, Blankevoort & Welling, "Bayesian Bits: Unifying
// Quantization and Pruning", NeurIPS 2020), used by the differentiable
// mixed-precision search (docs/search.md §4.8). Declared in a header because
// the search reads its gates.
//
// On the clipped range [α, β] (β learned; α = −β for signed tensors, 0 for
// unsigned ones) the base width b0 (`min_bits`) quantises with
// s_b0 = (β − α) / (2^b0 − 1), and each doubling b = 2p adds the residual on a
// finer grid, s_b = s_p / (2^p + 1), so that s_b = (β − α) / (2^b − 1):
//
//   x_b0 = α + s_b0 ⌊(x − α) / s_b0⌉,   ε_b = s_b ⌊(x − x_p) / s_b⌉,
//   out  = x_b0 + z_2b0 (ε_2b0 + z_4b0 (ε_4b0 + …)),
//
// which equals the plain b-bit quantiser α + s_b ⌊(x − α) / s_b⌉ when the
// gates up to b are on and the rest off. The gates z are hard-concrete
// (Louizos, Welling & Kingma, "Learning Sparse Neural Networks through L0
// Regularization", ICLR 2018) with a learned log α each; in training they are
// sampled, in eval mode they are deterministic: on when P(z ≠ 0) ≥ threshold.
// Rounding is straight-through.
//
// Grids of 2^b levels over a symmetric range have no zero, so signed tensors
// are not integer-exportable: levels() reports them as a "codebook". The
// search uses this quantiser only to choose widths; the chosen policy then
// trains with an ordinary algorithm.
#include <cstdint>
#include <vector>

#include "train/quantizers/quantizer.h"

namespace bitlab::train {

struct BayesianBitsOptions {
  int min_bits = 2;          // the always-on base width; gates double it up to options.bits
  double gate_init = 3.0;    // initial log α of every gate (3: P(on) ≈ 0.99, gates start open)
  double threshold = 0.5;    // eval-mode gate: on when P(z ≠ 0) ≥ threshold
  bool learn_range = true;   // β is a parameter (else a buffer set by calibration)
};

// Parses options.params ({"min_bits", "gate_init", "threshold", "learn_range"});
// ConfigError unless options.bits = min_bits · 2^k.
BayesianBitsOptions parse_bayesian_bits_options(const QuantizerOptions& options);

// The gated sum for given gate values (tensors broadcastable to x; 1 = on),
// outermost gate first. `beta` broadcasts against x. Differentiable in x,
// beta and the gates (rounding straight-through). Any floating dtype.
torch::Tensor bayesian_bits_sum(const torch::Tensor& x, const torch::Tensor& beta, bool is_signed, int min_bits,
                                const std::vector<torch::Tensor>& gates);

// The plain b-bit quantiser on the same grid: α + s_b ⌊(clamp(x, α, β) − α) / s_b⌉.
torch::Tensor bayesian_bits_plain(const torch::Tensor& x, const torch::Tensor& beta, bool is_signed, int bits);

// Parameters "range" [C] (β; a buffer with learn_range false) and
// "log_alpha" [G], one gate per doubling (G = log2(bits / min_bits)).
class BayesianBitsQuantizerImpl : public QuantizerImpl {
 public:
  BayesianBitsQuantizerImpl(QuantizerOptions options, BayesianBitsOptions bb);

  torch::Tensor forward(const torch::Tensor& x) override;
  void initialize(const torch::Tensor& x) override;
  void set_range(const torch::Tensor& min, const torch::Tensor& max) override;
  // The grid of deterministic_bits().
  LevelSet levels() const override;

  // Widths each gate adds, ascending: {2·min_bits, 4·min_bits, …, bits}.
  [[nodiscard]] const std::vector<int>& gate_bits() const { return gate_bits_; }
  // P(z_g ≠ 0) per gate [G], differentiable in log α.
  [[nodiscard]] torch::Tensor gate_probabilities() const;
  // Expected bits per element beyond min_bits: Σ_g (b_g − b_g/2) Π_{g' ≤ g} P(z_g' ≠ 0)
  // (a gate only matters while the ones below it are on). Differentiable; the
  // search's cost regulariser weights it by the tensor's size.
  [[nodiscard]] torch::Tensor expected_extra_bits() const;
  // The width of the deterministic gates: min_bits, doubled while gates are on.
  [[nodiscard]] int deterministic_bits() const;
  [[nodiscard]] int min_bits() const { return bb_.min_bits; }
  // Elements the last forward quantised, per sample for activations (dim 0 is
  // the batch): what one bit of this tensor's width costs, for the regulariser.
  [[nodiscard]] std::int64_t elements() const { return elements_; }
  torch::Tensor& log_alpha() { return log_alpha_; }

 private:
  torch::Tensor beta() const;
  std::vector<torch::Tensor> sampled_gates(const torch::Tensor& like) const;
  void set_beta(const torch::Tensor& value);

  BayesianBitsOptions bb_;
  std::vector<int> gate_bits_;
  torch::Tensor range_;
  torch::Tensor log_alpha_;
  std::int64_t elements_ = 0;
};

}  // namespace bitlab::train
