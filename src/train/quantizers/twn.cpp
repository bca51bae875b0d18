// Ternary Weight Networks: F. Li, B. Zhang, B. Liu, "Ternary Weight Networks",
// 2016 (arXiv:1605.04711).
//
// TWN minimises ||W - alpha * T||^2 over ternary T in {-1, 0, +1}. For a
// given threshold delta the optimal alpha is the mean of |w| over |w| > delta;
// the optimal delta has no closed form, and the paper approximates it by
// 0.7 * E|w| (exact-ish for uniform or Gaussian weights). Both are recomputed
// from the latent weights on every forward; nothing is learned besides the
// weights themselves, which are updated through the straight-through
// estimator as in the paper's training algorithm.
#include "train/quantizers/twn.h"

#include "common/json_reader.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/nonuniform_common.h"

namespace bitlab::train {

namespace nu = nonuniform;

TwnImpl::TwnImpl(QuantizerOptions options) : QuantizerImpl(std::move(options)) {
  const QuantizerOptions& o = options_;
  nu::require_weights(o, "twn");
  nu::require_bits(o, "twn", 2, 2, "ternary levels {-alpha, 0, +alpha} use 2-bit codes");
  nu::require_signed(o, "twn");
  nu::check_granularity(o, "twn");
  JsonReader reader(o.params, nu::params_context("twn"));
  reader.finish();  // no params
  delta_ = register_buffer("delta", torch::zeros({nu::channel_count(o)}));
  alpha_ = register_buffer("alpha", torch::ones({nu::channel_count(o)}));
}

void TwnImpl::update(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const torch::Tensor magnitude = nu::channel_rows(x.detach(), options_).abs().to(torch::kFloat32);
  const torch::Tensor delta = kThresholdFactor * magnitude.mean(1);
  const torch::Tensor above = (magnitude > delta.unsqueeze(1)).to(torch::kFloat32);
  // An all-zero channel has nothing above its threshold; alpha = 0 there, so
  // the channel stays zero.
  const torch::Tensor alpha = (magnitude * above).sum(1) / above.sum(1).clamp_min(1.0);
  delta_.copy_(delta);
  alpha_.copy_(alpha);
}

void TwnImpl::initialize(const torch::Tensor& x) { update(x); }

torch::Tensor TwnImpl::forward(const torch::Tensor& x) {
  update(x);
  torch::Tensor ternary;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor delta = nu::broadcast_channels(delta_.to(x.scalar_type()), x, options_);
    const torch::Tensor alpha = nu::broadcast_channels(alpha_.to(x.scalar_type()), x, options_);
    const torch::Tensor keep = x.abs() > delta;
    ternary = torch::where(keep, torch::where(x > 0, alpha, -alpha), torch::zeros_like(x));
  }
  // Value exactly `ternary`; gradient the identity (STE).
  return ternary + (x - x.detach());
}

LevelSet TwnImpl::levels() const {
  LevelSet set;
  set.kind = "ternary";
  // Codes {-1, 0, +1} times alpha: a 2-bit narrow-range symmetric spec.
  set.spec.bits = 2;
  set.spec.is_signed = true;
  set.spec.narrow_range = true;
  set.spec.symmetric = true;
  set.spec.granularity = options_.granularity;
  set.spec.axis = static_cast<int>(options_.axis);
  set.spec.scales = nu::spec_scales(alpha_);
  const torch::Tensor a = alpha_.detach().to(torch::kCPU, torch::kFloat32).reshape({-1, 1});
  set.values = torch::cat({-a, torch::zeros_like(a), a}, 1);
  return set;
}

Quantizer make_twn_quantizer(const QuantizerOptions& options) {
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<TwnImpl>(options)));
}

}  // namespace bitlab::train
