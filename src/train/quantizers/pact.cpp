// "pact": PArameterized Clipping acTivation (Choi, Wang, Venkataramani,
// Chuang, Srinivasan & Gopalakrishnan 2018, "PACT: Parameterized Clipping
// Activation for Quantized Neural Networks", arXiv:1805.06085).
//
// The clipping level alpha is learned. Forward:
//   y = clamp(x, 0, alpha),  y_q = round(y / s) * s,  s = alpha / (2^b - 1).
// Backward (eq. 3): the STE treats round(y / s) * s as y, so
//   d y_q / d x     = 1 for 0 < x < alpha, else 0
//   d y_q / d alpha = 1 for x >= alpha,     else 0
// i.e. the dependence of the step s on alpha is deliberately ignored.
// bitlab extension: signed tensors (weights, signed network inputs) clip
// symmetrically to [-alpha, alpha] with s = alpha / qmax, and then
// d y_q / d alpha = -1 for x <= -alpha (the mirror image of the paper's rule).
// The paper's L2 regulariser on alpha is the optimiser's weight decay.
#include <algorithm>
#include <optional>

#include "common/json_reader.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/fused/fake_quant.h"
#include "train/quantizers/ste_ops.h"
#include "train/quantizers/uniform_common.h"

namespace bitlab::train {

// Parameter "alpha" [C] (C = 1 per tensor, as in the paper; per-channel is a
// bitlab generalisation for weights).
class PactQuantizerImpl : public QuantizerImpl {
 public:
  PactQuantizerImpl(QuantizerOptions options, std::optional<double> alpha)
      : QuantizerImpl(std::move(options)),
        range_(detail::check_uniform_options(options_, "pact")),
        fixed_alpha_(alpha.has_value()) {
    // Activations start at the paper-style default 6 (ReLU6's clip); weights
    // are meant to be set by initialize() from max|w|, 1 is a placeholder.
    const double initial = alpha.value_or(options_.role == TensorRole::kActivation ? 6.0 : 1.0);
    alpha_ = register_parameter("alpha", torch::full({detail::channel_count(options_)}, initial));
    // A symmetric clip reaches codes -qmax..qmax only (qmin = -qmax - 1 is unused without narrow_range).
    kmin_ = options_.is_signed ? std::max(range_.qmin, -range_.qmax) : range_.qmin;
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto alpha = detail::broadcast(clip(), options_, x);
    auto s = (alpha / range_.qmax).detach();
    // Fused one-pass kernel where it applies; the graph below is its reference.
    if (options_.granularity == quant::Granularity::PerTensor && fused::fusable(x, alpha)) {
      return fused::pact_fake_quant(x, alpha, s.item<float>(), options_.is_signed, kmin_, range_.qmax);
    }
    // Clip with torch::where so the gradient to alpha is exactly PACT's
    // indicator (1 at and above alpha, -1 at and below -alpha, 0 between).
    auto lower = options_.is_signed ? -alpha : torch::zeros_like(alpha);
    auto y = torch::where(x >= alpha, alpha, torch::where(x <= lower, lower, x));
    // Quantised value from detached tensors, gradient of y (the STE of eq. 3).
    auto q = torch::clamp(torch::round(y.detach() / s), kmin_, range_.qmax);
    return ste::with_gradient_of(q * s, y);
  }

  void initialize(const torch::Tensor& x) override {
    if (fixed_alpha_) return;  // params {"alpha": ...} overrides the data
    auto rows = detail::channel_rows(x.detach().to(torch::kFloat32), options_);
    auto top = options_.is_signed ? std::get<0>(rows.abs().max(1)) : std::get<0>(rows.max(1));
    set_alpha(top);
  }

  void set_range(const torch::Tensor& min, const torch::Tensor& max) override {
    auto hi = detail::per_channel_bound(max, options_, "max");
    if (options_.is_signed) hi = torch::maximum(hi.abs(), detail::per_channel_bound(min, options_, "min").abs());
    set_alpha(hi);
  }

  LevelSet levels() const override {
    auto s = clip().detach() / range_.qmax;
    return LevelSet{"uniform", detail::make_spec(options_, s, torch::Tensor(), true),
                    detail::grid_values(s, torch::Tensor(), kmin_, range_.qmax)};
  }

 private:
  // alpha as used by forward: a learned alpha that was pushed to <= 0 would
  // give a zero or negative step, so it is floored at a tiny positive value.
  torch::Tensor clip() const { return torch::clamp_min(alpha_, kMinAlpha); }

  void set_alpha(const torch::Tensor& value) {
    torch::NoGradGuard no_grad;
    alpha_.copy_(detail::positive_or_one(value));
  }

  static constexpr double kMinAlpha = 1e-8;
  detail::CodeRange range_;
  std::int32_t kmin_ = 0;
  bool fixed_alpha_;
  torch::Tensor alpha_;
};

Quantizer make_pact_quantizer(const QuantizerOptions& options) {
  JsonReader params(detail::params_of(options), "quantizer pact");
  std::optional<double> alpha;
  if (params.has("alpha")) {
    alpha = params.number("alpha", 6.0, 0.0, 1e30);
    if (*alpha <= 0.0) params.fail("alpha", "a number > 0");
  }
  params.finish();
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<PactQuantizerImpl>(options, alpha)));
}

}  // namespace bitlab::train
