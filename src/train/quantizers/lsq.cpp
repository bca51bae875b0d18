// "lsq": Learned Step Size Quantization (Esser, McKinstry, Bablani,
// Appuswamy & Modha 2020, "Learned Step Size Quantization", ICLR 2020,
// arXiv:1902.08153).
//
// The step s is a parameter. Forward:
//   v = clamp(x / s, -Qn, Qp),  out = round(v) * s
// with round through the STE, which gives the paper's step gradient (eq. 3):
//   d out / d s = round(x/s) - x/s   inside the range,
//                 -Qn or Qp          below / above it,
// and d out / d x = 1 inside, 0 outside. The gradient reaching s is scaled by
// g = 1 / sqrt(N * Qp) ("step size gradient scale") so steps and weights train at comparable
// relative rates. N is the number of elements sharing one step in one sample:
// the weights of a layer (or of one output channel, per-channel), or the
// features of one activation sample (the paper's N_F), i.e. the batch
// dimension (dim 0 of a tensor with >= 2 dims) is not counted.
// Qn/Qp are bitlab's code range (qmin/qmax), so narrow_range and unsigned
// activations follow the options.
#include <algorithm>
#include <cmath>

#include "common/json_reader.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/fused/fake_quant.h"
#include "train/quantizers/ste_ops.h"
#include "train/quantizers/uniform_common.h"

namespace bitlab::train {

// Parameter "step" [C] (C = 1 per tensor).
class LsqQuantizerImpl : public QuantizerImpl {
 public:
  explicit LsqQuantizerImpl(QuantizerOptions options)
      : QuantizerImpl(std::move(options)), range_(detail::check_uniform_options(options_, "lsq")) {
    step_ = register_parameter("step", torch::ones({detail::channel_count(options_)}));
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    const double g = 1.0 / std::sqrt(static_cast<double>(elements_per_step(x)) * range_.qmax);
    auto s = detail::broadcast(ste::scale_gradient(positive_step(), g), options_, x);
    // Fused one-pass kernel where it applies (s keeps its graph above, so the
    // gradient scale and the floor still act); the two lines below are its reference.
    if (options_.granularity == quant::Granularity::PerTensor && fused::fusable(x, s)) {
      return fused::lsq_fake_quant(x, s, range_.qmin, range_.qmax);
    }
    auto v = torch::clamp(x / s, range_.qmin, range_.qmax);
    return ste::round(v) * s;
  }

  // The paper's initial step: s = 2 <|x|> / sqrt(Qp), per channel for per-channel weights.
  void initialize(const torch::Tensor& x) override {
    auto rows = detail::channel_rows(x.detach().to(torch::kFloat32), options_);
    set_step(2.0 * rows.abs().mean(1) / std::sqrt(static_cast<double>(range_.qmax)));
  }

  // Calibrated range: the step that puts max(|min|, |max|) on the last code.
  void set_range(const torch::Tensor& min, const torch::Tensor& max) override {
    auto lo = detail::per_channel_bound(min, options_, "min");
    auto hi = detail::per_channel_bound(max, options_, "max");
    set_step(torch::maximum(lo.abs(), hi.abs()) / range_.qmax);
  }

  LevelSet levels() const override {
    auto s = positive_step().detach();
    return LevelSet{"uniform", detail::make_spec(options_, s, torch::Tensor(), true),
                    detail::grid_values(s, torch::Tensor(), range_.qmin, range_.qmax)};
  }

 private:
  std::int64_t elements_per_step(const torch::Tensor& x) const {
    std::int64_t n = x.numel();
    if (options_.role == TensorRole::kActivation && x.dim() >= 2 && x.size(0) > 0) n /= x.size(0);
    n /= detail::channel_count(options_);
    return std::max<std::int64_t>(n, 1);
  }

  // The paper leaves s unconstrained; a step pushed to <= 0 would make every
  // code meaningless, so forward floors it at a tiny positive value.
  torch::Tensor positive_step() const { return torch::clamp_min(step_, 1e-8); }

  void set_step(const torch::Tensor& value) {
    torch::NoGradGuard no_grad;
    step_.copy_(detail::positive_or_one(value));
  }

  detail::CodeRange range_;
  torch::Tensor step_;
};

Quantizer make_lsq_quantizer(const QuantizerOptions& options) {
  JsonReader params(detail::params_of(options), "quantizer lsq");
  params.finish();  // no settings: the step is learned, its start comes from initialize()
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<LsqQuantizerImpl>(options)));
}

}  // namespace bitlab::train
