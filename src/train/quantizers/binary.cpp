// Binary weights and activations: BinaryConnect / BNN / XNOR-Net.
//
// BinaryConnect (Courbariaux et al. 2015) and BNN (Hubara et al. 2016) use
// sign(x) in the forward pass and keep real-valued latent weights for the
// update; BNN's gradient is the "straight-through estimator with
// saturation": the gradient of hardtanh, 1 where |x| <= 1 and 0 beyond, so
// latent values far outside the sign's useful range stop moving. XNOR-Net
// (Rastegari et al. 2016) multiplies the sign of each output channel's
// weights by alpha = mean |w| of that channel, which is the L2-optimal scale
// for a fixed sign pattern; like most re-implementations we treat alpha as
// a constant in the backward pass (the paper's extra 1/n term is dropped).
#include "train/quantizers/binary.h"

#include "common/error.h"
#include "common/json_reader.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/nonuniform_common.h"

namespace bitlab::train {

namespace nu = nonuniform;

BinaryImpl::BinaryImpl(QuantizerOptions options) : QuantizerImpl(std::move(options)) {
  const QuantizerOptions& o = options_;
  nu::require_bits(o, "binary", 1, 1, "binary levels {-alpha, +alpha} need exactly one bit");
  nu::require_signed(o, "binary");
  nu::check_granularity(o, "binary");

  JsonReader reader(o.params, nu::params_context("binary"));
  const bool weights = o.role == TensorRole::kWeight;
  // XNOR-Net's scale for weights, BNN's plain sign for activations: a
  // data-dependent activation scale would change with every batch and could
  // not be stored as a constant by the integer graph.
  const std::string scale = reader.choice("scale", weights ? "mean" : "none", {"mean", "none"});
  clip_ = reader.number("clip", 1.0, 1e-6, 1e6);
  reader.finish();
  if (!weights && scale == "mean") {
    throw ConfigError(
        "quantizer binary: scale \"mean\" is for weights (XNOR-Net); binary activations use scale \"none\" (BNN)");
  }
  scaled_ = scale == "mean";
  alpha_ = register_buffer("alpha", torch::ones({nu::channel_count(o)}));
}

void BinaryImpl::update_alpha(const torch::Tensor& x) {
  if (!scaled_) return;
  torch::NoGradGuard no_grad;
  alpha_.copy_(nu::channel_rows(x.detach(), options_).abs().mean(1).to(alpha_.scalar_type()));
}

void BinaryImpl::initialize(const torch::Tensor& x) { update_alpha(x); }

torch::Tensor BinaryImpl::forward(const torch::Tensor& x) {
  // alpha follows the latent weights every step (it is a statistic of them,
  // not a learned parameter); the buffer keeps the last value for levels().
  update_alpha(x);
  const torch::Tensor sign = torch::where(x >= 0, torch::ones_like(x), -torch::ones_like(x));
  // Value sign(x); gradient 1 inside the clipping window, 0 outside.
  const torch::Tensor pass = (x.abs() <= clip_).to(x.scalar_type());
  const torch::Tensor binary = sign + (x - x.detach()) * pass;
  if (!scaled_) return binary;
  // A copy, so the next forward's in-place update of the buffer cannot
  // invalidate this graph.
  return binary * nu::broadcast_channels(alpha_.to(x.scalar_type(), false, true), x, options_);
}

LevelSet BinaryImpl::levels() const {
  LevelSet set;
  set.kind = "binary";
  // One bit per value: code 0 is -alpha, code 1 is +alpha. As a QuantSpec
  // that is bits 1 with scale alpha; `values` is the authoritative table.
  set.spec.bits = 1;
  set.spec.is_signed = true;
  set.spec.narrow_range = false;
  set.spec.symmetric = true;
  set.spec.granularity = options_.granularity;
  set.spec.axis = static_cast<int>(options_.axis);
  set.spec.scales = nu::spec_scales(alpha_);
  const torch::Tensor a = alpha_.detach().to(torch::kCPU, torch::kFloat32).reshape({-1, 1});
  set.values = torch::cat({-a, a}, 1);
  return set;
}

Quantizer make_binary_quantizer(const QuantizerOptions& options) {
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<BinaryImpl>(options)));
}

}  // namespace bitlab::train
