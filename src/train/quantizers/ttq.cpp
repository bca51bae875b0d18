// Trained Ternary Quantization: C. Zhu, S. Han, H. Mao, W. J. Dally,
// "Trained Ternary Quantization", ICLR 2017 (arXiv:1612.01064).
//
// TTQ keeps TWN's ternary structure but learns two independent scales per
// layer, Wp for the positive and Wn for the negative weights, so the level
// set {-Wn, 0, Wp} may be asymmetric. The threshold is a fixed fraction t of
// the layer's largest magnitude. The paper's backward rules (its eq. 7 and 8)
// are reproduced exactly by autograd here: the forward is written as
// Wp * P - Wn * N, with P and N the (constant) region masks, plus a
// zero-valued term x * s - (x * s).detach() whose gradient is the region's
// scale s in {Wp, 1, Wn} for the latent weight.
#include "train/quantizers/ttq.h"

#include <stdexcept>

#include "common/json_reader.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/nonuniform_common.h"

namespace bitlab::train {

namespace nu = nonuniform;

TtqImpl::TtqImpl(QuantizerOptions options) : QuantizerImpl(std::move(options)) {
  const QuantizerOptions& o = options_;
  nu::require_weights(o, "ttq");
  nu::require_bits(o, "ttq", 2, 2, "ternary levels {-Wn, 0, Wp} use 2-bit codes");
  nu::require_signed(o, "ttq");
  nu::require_per_tensor(o, "ttq");
  JsonReader reader(o.params, nu::params_context("ttq"));
  // t < 1 so that the largest weights are never all in the zero region.
  threshold_ = reader.number("t", 0.05, 0.0, 0.999);
  reader.finish();
  wp_ = register_parameter("wp", torch::empty({0}));
  wn_ = register_parameter("wn", torch::empty({0}));
  delta_ = register_buffer("delta", torch::zeros({1}));
}

void TtqImpl::initialize(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const torch::Tensor w = x.detach().to(torch::kFloat32).reshape({-1});
  const torch::Tensor delta = threshold_ * w.abs().max();
  const torch::Tensor positive = w > delta;
  const torch::Tensor negative = w < -delta;
  // A side with no weights beyond the threshold (e.g. an all-positive tensor)
  // starts at the mean magnitude; an all-zero tensor at 1.
  torch::Tensor fallback = w.abs().mean();
  if (!(fallback.item<float>() > 0.0f)) fallback = torch::ones({}, w.options());
  const torch::Tensor wp = positive.any().item<bool>() ? w.masked_select(positive).mean() : fallback;
  const torch::Tensor wn = negative.any().item<bool>() ? (-w.masked_select(negative)).mean() : fallback;
  nu::replace_data(wp_, wp.reshape({1}));
  nu::replace_data(wn_, wn.reshape({1}));
  delta_.copy_(delta.reshape({1}));
}

torch::Tensor TtqImpl::forward(const torch::Tensor& x) {
  if (!initialized()) initialize(x);
  torch::Tensor positive, negative, latent_scale;
  const torch::Tensor wp = wp_.to(x.scalar_type());
  const torch::Tensor wn = wn_.to(x.scalar_type());
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor delta = threshold_ * x.abs().max();
    delta_.copy_(delta.to(torch::kFloat32).reshape({1}));
    const torch::Tensor pos = x > delta;
    const torch::Tensor neg = x < -delta;
    positive = pos.to(x.scalar_type());
    negative = neg.to(x.scalar_type());
    latent_scale = torch::where(pos, wp.detach().expand_as(x),
                                torch::where(neg, wn.detach().expand_as(x), torch::ones_like(x)));
  }
  const torch::Tensor scaled_latent = x * latent_scale;
  return wp * positive - wn * negative + (scaled_latent - scaled_latent.detach());
}

LevelSet TtqImpl::levels() const {
  if (!initialized()) {
    throw std::logic_error("quantizer ttq: levels() before initialisation; call initialize() or forward() first");
  }
  LevelSet set;
  set.kind = "ternary";
  // Codes {-1, 0, +1}; the two sides have different scales (Wn, Wp), which a
  // single QuantSpec cannot express: spec.scales holds Wp and `values` is
  // the authoritative table.
  set.spec.bits = 2;
  set.spec.is_signed = true;
  set.spec.narrow_range = true;
  set.spec.symmetric = true;
  set.spec.granularity = quant::Granularity::PerTensor;
  set.spec.scales = nu::spec_scales(wp_);
  const torch::Tensor wp = wp_.detach().to(torch::kCPU, torch::kFloat32);
  const torch::Tensor wn = wn_.detach().to(torch::kCPU, torch::kFloat32);
  // Sorted: training may in principle push a scale through zero.
  set.values = std::get<0>(torch::sort(torch::cat({-wn, torch::zeros({1}), wp}))).reshape({1, 3});
  return set;
}

Quantizer make_ttq_quantizer(const QuantizerOptions& options) {
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<TtqImpl>(options)));
}

}  // namespace bitlab::train
