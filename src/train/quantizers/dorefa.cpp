// "dorefa": DoReFa-Net (Zhou, Wu, Ni, Zhou, Wen & Zou 2016, "DoReFa-Net:
// Training Low Bitwidth Convolutional Neural Networks with Low Bitwidth
// Gradients", arXiv:1606.06160), weights and activations (bitlab does not
// quantise gradients).
//
// quantize_k(r) = round((2^k - 1) r) / (2^k - 1) for r in [0, 1], STE through round.
// Weights (k > 1 bits in the paper):
//   w' = tanh(w) / (2 max|tanh(w)|) + 1/2,   w_q = 2 quantize_k(w') - 1
// so the levels are 2i / (2^k - 1) - 1, i = 0..2^k - 1: symmetric, no zero.
// Gradients go through tanh and the max by autograd (the paper's formula
// puts no stop-gradient on the max).
// bitlab deviation: the paper relies on BatchNorm after each conv to undo the
// [-1, 1] magnitude of w_q; bitlab folds BatchNorm into the convs before QAT,
// so w_q is multiplied by alpha = mean|w| of the latent weights (per output
// channel for per-channel weights, per tensor otherwise), detached. At k = 1
// this is exactly the paper's 1-bit rule E(|w|) sign(w). The max|tanh| is
// taken over the same group as alpha.
// Activations: clamp(x, 0, 1) quantised to k bits; params "range"
// scales the clip to [0, range] (signed activations: [-range, range]).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/ste_ops.h"
#include "train/quantizers/uniform_common.h"

namespace bitlab::train {

// Weights: buffer "alpha" [C] (mean|w|, refreshed from the latent weights by
// every forward and by initialize()). Activations: no state (the clip is fixed).
class DorefaQuantizerImpl : public QuantizerImpl {
 public:
  DorefaQuantizerImpl(QuantizerOptions options, double range)
      : QuantizerImpl(std::move(options)), range_(range) {
    const bool weights = options_.role == TensorRole::kWeight;
    if (weights) {
      if (!options_.is_signed) throw ConfigError("quantizer dorefa: weights are symmetric levels; use is_signed = true");
      // Levels are odd multiples of alpha / n: storing them needs a (bits+1)-bit signed code.
      if (options_.bits > quant::QuantSpec::kMaxBits - 1) {
        throw ConfigError(fmt::format("quantizer dorefa: weights need bits <= {} (their codes take one extra bit), got {}",
                                      quant::QuantSpec::kMaxBits - 1, options_.bits));
      }
      QuantizerOptions storage = options_;
      storage.bits = options_.bits + 1;
      storage.narrow_range = true;
      codes_ = detail::check_uniform_options(storage, "dorefa");
      n_ = (std::int64_t{1} << options_.bits) - 1;
      alpha_ = register_buffer("alpha", torch::ones({detail::channel_count(options_)}));
    } else {
      codes_ = detail::check_uniform_options(options_, "dorefa");
      kmin_ = options_.is_signed ? std::max(codes_.qmin, -codes_.qmax) : codes_.qmin;
    }
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    return options_.role == TensorRole::kWeight ? forward_weights(x) : forward_activations(x);
  }

  void initialize(const torch::Tensor& x) override {
    if (options_.role == TensorRole::kWeight) update_alpha(x);
  }

  // set_range is ignored: the activation clip is the fixed [0, range] of the
  // paper, and weights are normalised by their own max|tanh|.

  LevelSet levels() const override {
    auto s = step();
    quant::QuantSpec spec;
    torch::Tensor values;
    if (options_.role == TensorRole::kWeight) {
      // Codes 2i - n (odd, from -n to n) times alpha / n, on a (bits+1)-bit narrow signed spec.
      QuantizerOptions storage = options_;
      storage.bits = options_.bits + 1;
      storage.narrow_range = true;
      spec = detail::make_spec(storage, s, torch::Tensor(), true);
      auto all = detail::grid_values(s, torch::Tensor(), -n_, n_);
      values = all.index({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)}).contiguous();
    } else {
      spec = detail::make_spec(options_, s, torch::Tensor(), true);
      values = detail::grid_values(s, torch::Tensor(), kmin_, codes_.qmax);
    }
    return LevelSet{"uniform", spec, values};
  }

 private:
  // Real value of one code step, [C]: alpha / n for weights, range / qmax for activations.
  torch::Tensor step() const {
    if (options_.role == TensorRole::kWeight) return alpha_.detach() / static_cast<double>(n_);
    return torch::full({detail::channel_count(options_)}, static_cast<float>(range_ / codes_.qmax));
  }

  torch::Tensor forward_weights(const torch::Tensor& w) {
    update_alpha(w);
    auto t = torch::tanh(w);
    auto rows = detail::channel_rows(t.abs(), options_);
    // max|tanh(w)| per group; floored so an all-zero tensor does not divide by 0.
    auto m = detail::broadcast(torch::clamp_min(std::get<0>(rows.max(1)), 1e-12), options_, w);
    auto unit = t / (2.0 * m) + 0.5;                     // w' in [0, 1]
    auto i = ste::round(unit * static_cast<double>(n_));  // quantize_k numerator, 0..n
    // 2 quantize_k(w') - 1 = (2i - n) / n; times alpha. (2i - n) is an exact
    // integer and the step is the tensor levels() reads, so this lands on a level.
    return (2.0 * i - static_cast<double>(n_)) * detail::broadcast(step(), options_, w);
  }

  torch::Tensor forward_activations(const torch::Tensor& x) {
    auto s = detail::broadcast(step().to(x.device()), options_, x);
    auto v = torch::clamp(x / s, kmin_, codes_.qmax);
    return ste::round(v) * s;
  }

  void update_alpha(const torch::Tensor& w) {
    auto rows = detail::channel_rows(w.detach(), options_);
    torch::NoGradGuard no_grad;
    alpha_.copy_(detail::positive_or_one(rows.abs().mean(1)));  // all-zero weights: alpha = 1
  }

  double range_;
  detail::CodeRange codes_;
  std::int32_t kmin_ = 0;
  std::int64_t n_ = 0;
  torch::Tensor alpha_;
};

Quantizer make_dorefa_quantizer(const QuantizerOptions& options) {
  JsonReader params(detail::params_of(options), "quantizer dorefa");
  double range = 1.0;
  // Only activations have a clip range; for weights "range" is an unknown key.
  if (options.role == TensorRole::kActivation) {
    range = params.number("range", 1.0, 0.0, 1e30);
    if (range <= 0.0) params.fail("range", "a number > 0");
  }
  params.finish();
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<DorefaQuantizerImpl>(options, range)));
}

}  // namespace bitlab::train
