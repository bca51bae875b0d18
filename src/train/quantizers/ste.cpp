#include "train/quantizers/ste.h"

#include "common/json_reader.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/fused/fake_quant.h"
#include "train/quantizers/ste_ops.h"

namespace bitlab::train {

SteQuantizerImpl::SteQuantizerImpl(QuantizerOptions options, bool affine, const std::string& algorithm)
    : QuantizerImpl(std::move(options)), range_(detail::check_uniform_options(options_, algorithm)), affine_(affine) {
  const std::int64_t channels = detail::channel_count(options_);
  // Identity-like until calibrated: scale 1 puts the codes on the integers.
  scale_ = register_buffer("scale", torch::ones({channels}));
  zero_point_ = register_buffer("zero_point", torch::zeros({channels}));
}

torch::Tensor SteQuantizerImpl::clamped_code(const torch::Tensor& x) const {
  auto s = detail::broadcast(scale_, options_, x);
  auto z = detail::broadcast(zero_point_, options_, x);
  return torch::clamp(x / s + z, range_.qmin, range_.qmax);
}

torch::Tensor SteQuantizerImpl::decode(const torch::Tensor& q, const torch::Tensor& x) const {
  return (q - detail::broadcast(zero_point_, options_, x)) * detail::broadcast(scale_, options_, x);
}

torch::Tensor SteQuantizerImpl::forward(const torch::Tensor& x) {
  // Fused one-pass kernel where it applies; the graph below is its reference.
  if (options_.granularity == quant::Granularity::PerTensor && fused::fusable(x, scale_)) {
    return fused::ste_fake_quant(x, scale_.item<float>(), zero_point_.item<float>(), range_.qmin, range_.qmax);
  }
  // ste::round is value-exact, so the output is exactly (k - z) * s.
  return decode(ste::round(clamped_code(x)), x);
}

void SteQuantizerImpl::initialize(const torch::Tensor& x) {
  auto rows = detail::channel_rows(x.detach().to(torch::kFloat32), options_);
  set_range(std::get<0>(rows.min(1)), std::get<0>(rows.max(1)));
}

void SteQuantizerImpl::set_range(const torch::Tensor& min, const torch::Tensor& max) {
  auto fitted = detail::fit_scales(options_, affine_, min, max);
  torch::NoGradGuard no_grad;
  scale_.copy_(fitted.scales);
  zero_point_.copy_(fitted.zero_points);
}

LevelSet SteQuantizerImpl::levels() const {
  return LevelSet{"uniform",
                  detail::make_spec(options_, scale_, affine_ ? zero_point_ : torch::Tensor(), !affine_),
                  detail::grid_values(scale_, zero_point_, range_.qmin, range_.qmax)};
}

Quantizer make_ste_quantizer(const QuantizerOptions& options) {
  JsonReader params(detail::params_of(options), "quantizer ste");
  // Affine (asymmetric) ranges suit activations that are not centred on 0.
  const bool affine = params.boolean("affine", false);
  params.finish();
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<SteQuantizerImpl>(options, affine)));
}

}  // namespace bitlab::train
