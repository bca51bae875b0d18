// "ana": Additive Noise Annealing (Spallanzani, Cavigelli, Leonardi, Bertogna
// & Benini 2019, "Additive Noise Annealing and Approximation Properties of
// Quantized Neural Networks", arXiv:1905.10452), deterministic form.
//
// ANA replaces the step function round(v) by the expectation of
// round(v + n) over a noise n ~ U[-sigma/2, sigma/2] (sigma in units of the
// step). For 0 < sigma <= 1 the noise can cross at most the one rounding
// threshold at floor(v) + 1/2, so with f = v - floor(v):
//   E[round(v + n)] = floor(v) + P(f + n >= 1/2)
//                   = floor(v) + clamp((f - 1/2) / sigma + 1/2, 0, 1).
// That is a ramp of slope 1/sigma around each threshold: sigma = 1 gives the
// identity, sigma -> 0 gives hard rounding. The ramp is differentiable, so the
// gradient is autograd through it (the noise density, which is what the paper
// back-propagates) instead of a straight-through estimate. Annealing sigma to
// 0 over training moves the forward from the float network to the quantised one.
// (The algorithm is developed further in Spallanzani et al., CVPR 2022,
// "Training Quantised Neural Networks with STE Variants: the Additive Noise
// Annealing Algorithm".)
#include <algorithm>

#include "common/json_reader.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/ste.h"
#include "train/quantizers/ste_ops.h"

namespace bitlab::train {

// Scale, zero point, initialize/set_range and levels as "ste" (buffers
// "scale", "zero_point"); sigma is a function of set_progress, not state.
class AnaQuantizerImpl : public SteQuantizerImpl {
 public:
  AnaQuantizerImpl(QuantizerOptions options, bool affine, double sigma0, double end)
      : SteQuantizerImpl(std::move(options), affine, "ana"), sigma0_(sigma0), end_(end) {}

  // sigma(p) = sigma0 * (1 - p / end), clipped at 0: linear annealing that
  // reaches hard rounding at progress `end` and stays there.
  double sigma() const { return std::max(0.0, sigma0_ * (1.0 - progress_ / end_)); }

  torch::Tensor forward(const torch::Tensor& x) override {
    // Clamping the code first keeps the result in [qmin, qmax] (the ramp at
    // an integer v is exactly 0 for sigma <= 1) and zeroes the gradient
    // outside the range, as for "ste".
    auto v = clamped_code(x);
    const double width = sigma();
    if (width <= 0.0) return decode(ste::round(v), x);
    auto lower = torch::floor(v);  // zero gradient, as the floor of the expectation has
    auto f = v - lower;
    auto step = torch::clamp((f - 0.5) / width + 0.5, 0.0, 1.0);
    return decode(lower + step, x);
  }

 private:
  double sigma0_;
  double end_;
};

Quantizer make_ana_quantizer(const QuantizerOptions& options) {
  JsonReader params(detail::params_of(options), "quantizer ana");
  const bool affine = params.boolean("affine", false);
  // sigma0 <= 1: a wider noise could cross two rounding thresholds and the
  // single-ramp expectation above would be wrong.
  const double sigma0 = params.number("sigma0", 1.0, 0.0, 1.0);
  if (sigma0 <= 0.0) params.fail("sigma0", "a number in (0, 1]");
  const double end = params.number("end", 0.8, 0.0, 1.0);
  if (end <= 0.0) params.fail("end", "a number in (0, 1]");
  params.finish();
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<AnaQuantizerImpl>(options, affine, sigma0, end)));
}

}  // namespace bitlab::train
