// Power-of-two (logarithmic) weights: D. Miyashita, E. H. Lee, B. Murmann,
// "Convolutional Neural Networks using Logarithmic Data Representation",
// 2016 (arXiv:1603.01025).
//
// Miyashita et al. round log2|w| to an integer, keep a window of exponents
// below a full-scale exponent (FSR) and flush anything smaller to zero, so a
// multiplication becomes a shift. We take the full scale from the data,
// e_max = ceil(log2(max|w|)) (no weight saturates), and round with exactly
// the rule of quant::Log2Levels (docs/integer-spec.md §7): nearest level in
// the *linear* domain, ties to the smaller magnitude. Rounding in the log
// domain instead would put the boundary between 2^k and 2^(k+1) at
// 2^(k+0.5) rather than 1.5 * 2^k, and the integer graph (which encodes with
// Log2Levels) would disagree with training for weights in between.
#include "train/quantizers/log2.h"

#include <cmath>

#include "common/json_reader.h"
#include "quant/log2.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/nonuniform_common.h"

namespace bitlab::train {

namespace nu = nonuniform;

Log2Impl::Log2Impl(QuantizerOptions options) : QuantizerImpl(std::move(options)) {
  const QuantizerOptions& o = options_;
  nu::require_weights(o, "log2");
  // 8 bits gives 127 exponents, the most that fit among normal float32s.
  nu::require_bits(o, "log2", 2, 8,
                   "one sign bit plus magnitude bits, and at most 127 exponents so every level is a normal float32");
  nu::require_signed(o, "log2");
  nu::check_granularity(o, "log2");
  JsonReader reader(o.params, nu::params_context("log2"));
  reader.finish();  // no params
  max_exponent_ = register_buffer("max_exponent", torch::zeros({nu::channel_count(o)}, torch::kInt64));
}

void Log2Impl::update(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const torch::Tensor max_magnitude = nu::channel_rows(x.detach(), options_).abs().amax(1).to(torch::kFloat32);
  // An all-zero channel has no scale of its own; e_max = 0 is as good as any
  // (everything in it rounds to 0). Very small weights pin e_min at the
  // smallest normal float32 exponent, like Log2Levels requires.
  const int64_t lowest = quant::Log2Levels::kMinExponent + exponent_count() - 1;
  const torch::Tensor e_max =
      nu::ceil_log2(max_magnitude, 0).clamp(lowest, quant::Log2Levels::kMaxExponent);
  max_exponent_.copy_(e_max);
}

void Log2Impl::initialize(const torch::Tensor& x) { update(x); }

torch::Tensor Log2Impl::forward(const torch::Tensor& x) {
  update(x);
  torch::Tensor quantised;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor e_max = nu::broadcast_channels(max_exponent_, x, options_);
    quantised = nu::log2_nearest(x.detach(), e_max - (exponent_count() - 1), e_max);
  }
  return quantised + (x - x.detach());
}

LevelSet Log2Impl::levels() const {
  LevelSet set;
  set.kind = "log2";
  // Sign-magnitude codes (quant/log2.h): magnitude code m >= 1 is
  // 2^(e_min + m - 1) = scale * 2^(m - 1), so the spec's scale is 2^e_min.
  set.spec.bits = options_.bits;
  set.spec.is_signed = true;
  set.spec.narrow_range = false;
  set.spec.symmetric = true;
  set.spec.granularity = options_.granularity;
  set.spec.axis = static_cast<int>(options_.axis);
  set.spec.scale_kind = quant::ScaleKind::PowerOfTwo;
  const torch::Tensor e_max = max_exponent_.detach().cpu().contiguous();
  std::vector<torch::Tensor> rows;
  set.spec.scales.clear();
  for (int64_t c = 0; c < e_max.numel(); ++c) {
    const int max_exponent = static_cast<int>(e_max[c].item<int64_t>());
    const quant::Log2Levels log2_levels({.bits = options_.bits, .max_exponent = max_exponent});
    set.spec.scales.push_back(std::ldexp(1.0, log2_levels.min_exponent()));
    rows.push_back(torch::tensor(log2_levels.levels(), torch::kFloat32));
  }
  set.values = torch::stack(rows);
  return set;
}

Quantizer make_log2_quantizer(const QuantizerOptions& options) {
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<Log2Impl>(options)));
}

}  // namespace bitlab::train
