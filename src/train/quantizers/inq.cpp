// Incremental Network Quantization: A. Zhou, A. Yao, Y. Guo, L. Xu, Y. Chen,
// "Incremental Network Quantization: Towards Lossless CNNs with
// Low-Precision Weights", ICLR 2017 (arXiv:1702.03044).
//
// INQ quantises a layer in steps instead of all at once: at each step the
// largest-magnitude part of the still-float weights (the paper's
// pruning-inspired partition) is moved onto powers of two and frozen, and
// the remaining float weights are retrained to compensate. The level set is
// fixed once per layer from the pretrained weights: n1 = floor(log2(4s/3))
// with s = max|w| (so every weight is within rounding distance of 2^n1) and
// n2 = n1 + 1 - 2^(b-2): b bits are one sign bit, one for zero, and 2^(b-2)
// exponents. Here "steps" are points of the training progress (set_progress),
// and a freeze happens on the first forward at or after each point.
//
// Rounding: the paper maps |w| in [(a+b)/2, 3b/2) to b for adjacent levels
// a < b, i.e. to the nearest level with ties going up. We use the rule of
// quant::Log2Levels (nearest in the linear domain, ties to the smaller
// magnitude, saturation at 2^n1) so the integer side encodes frozen weights
// to the same values; the two only differ for exact ties.
#include "train/quantizers/inq.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"
#include "quant/log2.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/nonuniform_common.h"

namespace bitlab::train {

namespace nu = nonuniform;

InqImpl::InqImpl(QuantizerOptions options) : QuantizerImpl(std::move(options)) {
  const QuantizerOptions& o = options_;
  nu::require_weights(o, "inq");
  // 8 bits gives 64 exponents; the window must fit among normal float32s.
  nu::require_bits(o, "inq", 2, 8, "one sign bit, one zero bit and 2^(bits-2) power-of-two exponents");
  nu::require_signed(o, "inq");
  nu::require_per_tensor(o, "inq");

  const std::string context = nu::params_context("inq");
  JsonReader reader(o.params, context);
  fractions_ = nu::read_numbers(reader, "fractions", {0.5, 0.75, 0.875, 1.0}, 0.0, 1.0);
  at_ = nu::read_numbers(reader, "at", {0.0, 0.25, 0.5, 0.75}, 0.0, 1.0);
  reader.finish();
  if (fractions_.size() != at_.size()) {
    throw ConfigError(fmt::format("{}: /fractions and /at must have the same length (got {} and {} entries); "
                                  "each fraction needs the progress point at which it takes effect",
                                  context, fractions_.size(), at_.size()));
  }
  for (size_t i = 1; i < at_.size(); ++i) {
    if (!(at_[i] > at_[i - 1])) {
      throw ConfigError(fmt::format("{}: /at/{}: progress points must be strictly increasing ({} follows {})",
                                    context, i, at_[i], at_[i - 1]));
    }
    if (fractions_[i] < fractions_[i - 1]) {
      throw ConfigError(fmt::format("{}: /fractions/{}: frozen fractions cannot decrease ({} follows {}); "
                                    "frozen weights are never unfrozen",
                                    context, i, fractions_[i], fractions_[i - 1]));
    }
  }
  if (fractions_.back() != 1.0) {
    throw ConfigError(fmt::format("{}: /fractions: the last fraction must be 1.0 so that training ends with every "
                                  "weight on the level set, got {}",
                                  context, fractions_.back()));
  }

  max_exponent_ = register_buffer("max_exponent", torch::zeros({1}, torch::kInt64));
  stage_ = register_buffer("stage", torch::zeros({1}, torch::kInt64));
  frozen_mask_ = register_buffer("frozen_mask", torch::empty({0}, torch::kBool));
  frozen_values_ = register_buffer("frozen_values", torch::empty({0}, torch::kFloat32));
}

int InqImpl::n1() const {
  if (!initialized()) {
    throw std::logic_error("quantizer inq: the level set is fixed by initialize() or the first forward()");
  }
  return static_cast<int>(max_exponent_.item<int64_t>());
}

double InqImpl::frozen_fraction() const {
  if (!initialized()) return 0.0;
  return frozen_mask_.sum().item<double>() / static_cast<double>(frozen_mask_.numel());
}

int64_t InqImpl::stage_for(double progress) const {
  int64_t stage = 0;
  while (stage < static_cast<int64_t>(at_.size()) && at_[static_cast<size_t>(stage)] <= progress) ++stage;
  return stage;
}

double InqImpl::scheduled_fraction(double progress) const {
  const int64_t stage = stage_for(progress);
  return stage == 0 ? 0.0 : fractions_[static_cast<size_t>(stage - 1)];
}

void InqImpl::initialize(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const double s = x.numel() == 0 ? 0.0 : x.detach().abs().max().item<double>();
  // floor(log2(4s/3)) exactly: 4s/3 = m * 2^e with m in [0.5, 1).
  int n1 = 0;  // all-zero tensor: any window will do, everything rounds to 0
  if (s > 0.0 && std::isfinite(s)) {
    int e = 0;
    std::frexp(4.0 * s / 3.0, &e);
    n1 = e - 1;
  }
  // Keep every level a normal float32 (quant::Log2Levels' exponent range).
  n1 = std::clamp(n1, quant::Log2Levels::kMinExponent + exponent_count() - 1, quant::Log2Levels::kMaxExponent);
  max_exponent_.fill_(n1);
  stage_.fill_(0);
  nu::replace_data(frozen_mask_, torch::zeros(x.sizes(), torch::TensorOptions(torch::kBool).device(x.device())));
  nu::replace_data(frozen_values_,
                   torch::zeros(x.sizes(), torch::TensorOptions(torch::kFloat32).device(x.device())));
}

void InqImpl::freeze(const torch::Tensor& x, double fraction) {
  torch::NoGradGuard no_grad;
  const int64_t total = frozen_mask_.numel();
  const int64_t want = fraction >= 1.0 ? total : std::llround(fraction * static_cast<double>(total));
  torch::Tensor mask = frozen_mask_.view({-1});
  const int64_t already = mask.sum().item<int64_t>();
  if (want <= already) return;

  // Largest magnitudes first among the weights not yet frozen; a stable sort
  // makes ties deterministic (lower flat index first).
  const torch::Tensor latent = x.detach().reshape({-1}).to(torch::kFloat32);
  const torch::Tensor score = torch::where(mask, torch::full_like(latent, -1.0f), latent.abs());
  const torch::Tensor order = std::get<1>(torch::sort(score, /*stable=*/true, /*dim=*/0, /*descending=*/true));
  const torch::Tensor chosen = order.slice(0, 0, want - already);

  const auto n1_t = torch::full({}, static_cast<int64_t>(n1()), torch::kInt64).to(x.device());
  const auto n2_t = torch::full({}, static_cast<int64_t>(n2()), torch::kInt64).to(x.device());
  const torch::Tensor values = nu::log2_nearest(latent.index_select(0, chosen), n2_t, n1_t);
  mask.index_fill_(0, chosen, true);
  frozen_values_.view({-1}).index_copy_(0, chosen, values);
}

torch::Tensor InqImpl::forward(const torch::Tensor& x) {
  if (!initialized()) {
    initialize(x);
  } else if (frozen_mask_.sizes() != x.sizes()) {
    throw std::invalid_argument(fmt::format("quantizer inq: initialised for shape {}, got a tensor of shape {}",
                                            fmt::join(frozen_mask_.sizes().vec(), "x"),
                                            fmt::join(x.sizes().vec(), "x")));
  }
  const int64_t target = stage_for(progress_);
  // Moving progress backwards never unfreezes: INQ only ever adds weights.
  if (target > stage_.item<int64_t>()) {
    freeze(x, fractions_[static_cast<size_t>(target - 1)]);
    stage_.fill_(target);
  }
  // Copies, so a later freeze (in-place on the buffers) cannot invalidate
  // this graph. torch::where gives the frozen positions zero gradient.
  return torch::where(frozen_mask_.clone(), frozen_values_.to(x.scalar_type(), false, true), x);
}

LevelSet InqImpl::levels() const {
  LevelSet set;
  set.kind = "log2";
  // As quant::Log2Levels codes (sign-magnitude, `bits` wide) with
  // min_exponent n2: magnitude code m in [1, 2^(bits-2)] is 2^(n2 + m - 1) =
  // scale * 2^(m - 1); INQ never uses the upper half of the magnitude codes.
  set.spec.bits = options_.bits;
  set.spec.is_signed = true;
  set.spec.narrow_range = false;
  set.spec.symmetric = true;
  set.spec.granularity = quant::Granularity::PerTensor;
  set.spec.scale_kind = quant::ScaleKind::PowerOfTwo;
  set.spec.scales = {std::ldexp(1.0, n2())};
  const torch::Tensor exponents = torch::arange(static_cast<int64_t>(n2()), static_cast<int64_t>(n1()) + 1);
  const torch::Tensor positive = nu::pow2(exponents);
  set.values = torch::cat({-positive.flip(0), torch::zeros({1}), positive}).reshape({1, -1});
  return set;
}

Quantizer make_inq_quantizer(const QuantizerOptions& options) {
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<InqImpl>(options)));
}

}  // namespace bitlab::train
