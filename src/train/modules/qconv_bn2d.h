#pragma once
// Conv2d followed by BatchNorm2d, trained with BatchNorm folded into the
// quantised weights (Jacob et al. 2018, "Quantization and Training of Neural
// Networks for Efficient Integer-Arithmetic-Only Inference", §3.2 "Batch
// normalization folding"; Krishnamoorthi 2018, "Quantizing deep convolutional
// networks for efficient inference: A whitepaper", its batch-normalisation
// folding for QAT).
//
// Folding BN before QAT (fold_batchnorm) trains without batch statistics;
// keeping BN leaves float affine work the integer graph cannot do. This module
// does both jobs: the weights it quantises are always those folded with the
// RUNNING statistics (what deployment holds), while during early training the
// output is rescaled so that it equals conv + BN with BATCH statistics:
//
//   w_fold = w·γ/σ_run,                     σ = √(σ² + ε)
//   before the freeze point (training):
//     y = conv(x, q(w_fold)) · σ_run/σ_B + β − γ·μ_B/σ_B
//     (μ_B, σ_B from a float conv(x, w), which also updates the running stats)
//   after the freeze point, and in eval:
//     y = conv(x, q(w_fold)) + β + (b − μ_run)·γ/σ_run
//
// With q = identity the first line is exactly conv + BN in training mode, and
// the second is exactly fold_batchnorm + QConv2d; freezing the statistics late
// in QAT (default at 90 % of it) lets the last steps train the deployed graph.
#include <torch/torch.h>

#include "train/modules/qconv2d.h"
#include "train/quantizers/quantizer.h"

namespace bitlab::train {

struct QConvBn2dOptions {
  // Fraction of QAT progress (set_progress) from which training uses the running
  // statistics and stops updating them (Jacob et al.'s "freeze" of BN statistics).
  double freeze_progress = 0.9;
};

class QConvBn2dImpl : public torch::nn::Module {
 public:
  QConvBn2dImpl(const torch::nn::Conv2dImpl& conv, const torch::nn::BatchNorm2dImpl& bn,
                QuantizerOptions weight_quantizer, QConvBn2dOptions options = {});
  torch::Tensor forward(const torch::Tensor& x);

  // What eval computes, for export: y = conv(x, weight_quantizer(folded_weight())) + folded_bias().
  torch::Tensor folded_weight() const;
  torch::Tensor folded_bias() const;
  torch::Tensor quantized_weight();

  // QAT progress in [0, 1]; set_quantization_progress calls it.
  void set_progress(double progress) { progress_ = progress; }
  bool frozen() const { return progress_ >= options_.freeze_progress; }
  const QConvBn2dOptions& options() const { return options_; }

  Conv2dConfig conv_options;
  torch::nn::BatchNormOptions bn_options;
  torch::Tensor weight;
  torch::Tensor bias;                        // the conv's; undefined when it had none
  torch::Tensor bn_weight, bn_bias;          // γ, β; undefined for a non-affine BatchNorm
  torch::Tensor running_mean, running_var;   // buffers, updated like BatchNorm's before the freeze
  torch::Tensor num_batches_tracked;         // buffer; drives the cumulative average when momentum is unset
  Quantizer weight_quantizer{nullptr};

 private:
  torch::Tensor forward_with_batch_statistics(const torch::Tensor& x);

  QConvBn2dOptions options_;
  double progress_ = 0.0;
};
TORCH_MODULE(QConvBn2d);

}  // namespace bitlab::train
