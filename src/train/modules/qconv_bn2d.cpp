#include "train/modules/qconv_bn2d.h"

#include <fmt/format.h>

#include "common/error.h"
#include "train/editing/fold_batchnorm.h"
#include "train/modules/weight_quantizer.h"

namespace bitlab::train {
namespace {

// Per-channel tensors broadcast over [N, C, H, W].
torch::Tensor per_channel(const torch::Tensor& t) { return t.view({1, -1, 1, 1}); }

}  // namespace

QConvBn2dImpl::QConvBn2dImpl(const torch::nn::Conv2dImpl& conv, const torch::nn::BatchNorm2dImpl& bn,
                             QuantizerOptions weight_quantizer, QConvBn2dOptions options)
    : conv_options(conv.options), bn_options(bn.options), options_(options) {
  check_quantizable_conv(conv_options, "QConvBn2d");
  // Folding needs statistics that outlive the batch; a BatchNorm that always
  // normalises with batch statistics has no inference-time fold.
  if (!bn_options.track_running_stats()) {
    throw ConfigError("QConvBn2d: the BatchNorm2d tracks no running statistics, so it cannot be folded");
  }
  if (bn_options.num_features() != conv_options.out_channels()) {
    throw ConfigError(fmt::format("QConvBn2d: BatchNorm2d of {} features after a conv of {} output channels",
                                  bn_options.num_features(), conv_options.out_channels()));
  }
  if (!(options_.freeze_progress >= 0.0 && options_.freeze_progress <= 1.0)) {
    throw ConfigError(fmt::format("QConvBn2d: freeze_progress {} is not in [0, 1]", options_.freeze_progress));
  }
  weight = register_parameter("weight", conv.weight.detach().clone());
  if (conv.bias.defined()) bias = register_parameter("bias", conv.bias.detach().clone());
  if (bn_options.affine()) {
    bn_weight = register_parameter("bn_weight", bn.weight.detach().clone());
    bn_bias = register_parameter("bn_bias", bn.bias.detach().clone());
  }
  running_mean = register_buffer("running_mean", bn.running_mean.detach().clone());
  running_var = register_buffer("running_var", bn.running_var.detach().clone());
  num_batches_tracked = register_buffer("num_batches_tracked", bn.num_batches_tracked.detach().clone());
  // Initialised from the running-stat folded weights: those are what it quantises.
  torch::NoGradGuard no_grad;
  this->weight_quantizer =
      register_module("weight_quantizer", make_weight_quantizer(std::move(weight_quantizer), folded_weight()));
}

torch::Tensor QConvBn2dImpl::folded_weight() const {
  return fold_into(weight, bias, {running_mean, running_var, bn_weight, bn_bias, bn_options.eps()}).first;
}

torch::Tensor QConvBn2dImpl::folded_bias() const {
  return fold_into(weight, bias, {running_mean, running_var, bn_weight, bn_bias, bn_options.eps()}).second;
}

torch::Tensor QConvBn2dImpl::quantized_weight() { return weight_quantizer->forward(folded_weight()); }

torch::Tensor QConvBn2dImpl::forward(const torch::Tensor& x) {
  if (is_training() && !frozen()) return forward_with_batch_statistics(x);
  // Running statistics only: the same fold_into as fold_batchnorm, so this is
  // bit-for-bit what fold_batchnorm + QConv2d computes (and what is deployed).
  auto [w, b] = fold_into(weight, bias, {running_mean, running_var, bn_weight, bn_bias, bn_options.eps()});
  return conv2d_as(x, weight_quantizer->forward(w), b, conv_options);
}

torch::Tensor QConvBn2dImpl::forward_with_batch_statistics(const torch::Tensor& x) {
  const double eps = bn_options.eps();
  // Jacob et al. §3.2: a float convolution supplies the batch statistics.
  // The conv bias shifts μ_B and cancels in (y − μ_B), so it is left out here
  // and only enters the running mean, which BatchNorm would see with it.
  auto y_float = conv2d_as(x, weight, {}, conv_options);
  auto batch_mean = y_float.mean({0, 2, 3});
  auto batch_var = y_float.var({0, 2, 3}, /*unbiased=*/false);
  const int64_t n = y_float.numel() / y_float.size(1);
  TORCH_CHECK(n > 1, "QConvBn2d: expected more than 1 value per channel when training");
  {
    // BatchNorm's update: exponential average with `momentum`, or the
    // cumulative average when momentum is unset; the variance stored unbiased.
    torch::NoGradGuard no_grad;
    num_batches_tracked.add_(1);
    const double factor = bn_options.momentum() ? *bn_options.momentum()
                                                : 1.0 / num_batches_tracked.item<double>();
    auto observed_mean = bias.defined() ? batch_mean + bias : batch_mean;
    running_mean.mul_(1.0 - factor).add_(observed_mean, factor);
    running_var.mul_(1.0 - factor).add_(batch_var * (static_cast<double>(n) / static_cast<double>(n - 1)), factor);
  }
  // Quantise the weights folded with the (just updated) running statistics,
  // then undo the running-stat scale in favour of the batch one:
  //   conv(x, w·γ/σ_run) · σ_run/σ_B + β − γ·μ_B/σ_B  =  γ·(conv(x, w) − μ_B)/σ_B + β   when q = identity.
  auto y = conv2d_as(x, quantized_weight(), {}, conv_options);
  auto inv_batch_std = torch::rsqrt(batch_var + eps);
  auto correction = torch::sqrt(running_var + eps) * inv_batch_std;
  auto offset = -batch_mean * inv_batch_std;
  if (bn_weight.defined()) offset = offset * bn_weight;
  if (bn_bias.defined()) offset = offset + bn_bias;
  return y * per_channel(correction) + per_channel(offset);
}

}  // namespace bitlab::train
