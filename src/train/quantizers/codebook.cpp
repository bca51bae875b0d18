// Learned non-uniform levels, a simplified LQ-Net: D. Zhang, J. Yang, D. Ye,
// G. Hua, "LQ-Nets: Learned Quantization for Highly Accurate and Compact Deep
// Neural Networks", ECCV 2018 (arXiv:1807.10029).
//
// LQ-Net learns a quantiser whose levels are inner products of a learned
// basis with binary codes, fitted by alternating least squares (its QEM
// step). We keep the idea -- the levels are free, learned values, not a grid
// -- and simplify both the parametrisation and the fitting: the levels are
// an arbitrary codebook of 2^bits centroids per tensor, initialised by 1-D
// k-means on the weights (quant/codebook.h, the same code the integer side
// uses) and then trained by gradient descent alongside the weights. Written
// as centroids[index] + (w - w.detach()), autograd sends each centroid the
// sum of the gradients of the weights assigned to it (the backward of
// index_select), and each latent weight its own gradient (the STE).
#include "train/quantizers/codebook.h"

#include <limits>
#include <span>
#include <stdexcept>

#include "common/json_reader.h"
#include "quant/codebook.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/nonuniform_common.h"

namespace bitlab::train {

namespace nu = nonuniform;

CodebookImpl::CodebookImpl(QuantizerOptions options) : QuantizerImpl(std::move(options)) {
  const QuantizerOptions& o = options_;
  nu::require_weights(o, "codebook");
  nu::require_bits(o, "codebook", 1, 8, "2^bits centroids per tensor; use a uniform quantiser beyond 8 bits");
  nu::require_per_tensor(o, "codebook");
  JsonReader reader(o.params, nu::params_context("codebook"));
  seed_ = static_cast<uint64_t>(reader.integer("seed", 0, 0, std::numeric_limits<int64_t>::max()));
  learn_ = reader.boolean("learn", true);
  iterations_ = static_cast<int>(reader.integer("iterations", 100, 1, 100000));
  reader.finish();
  centroids_ = learn_ ? register_parameter("centroids", torch::empty({0}))
                      : register_buffer("centroids", torch::empty({0}));
}

void CodebookImpl::initialize(const torch::Tensor& x) {
  const torch::Tensor data = x.detach().to(torch::kCPU, torch::kFloat32).contiguous().reshape({-1});
  const quant::Codebook codebook = quant::Codebook::learn(
      std::span<const float>(data.data_ptr<float>(), static_cast<size_t>(data.numel())),
      quant::CodebookOptions{.bits = options_.bits, .max_iterations = iterations_, .seed = seed_});
  nu::replace_data(centroids_, torch::tensor(codebook.centroids(), torch::kFloat32).to(x.device()));
}

torch::Tensor CodebookImpl::forward(const torch::Tensor& x) {
  if (!initialized()) initialize(x);
  torch::Tensor index;
  {
    torch::NoGradGuard no_grad;
    // Nearest centroid exactly as quant::Codebook::encode decides it: in
    // float64, among the two neighbours of x in the sorted centroids, a tie
    // going to the lower one. Sorting here keeps that valid after training
    // has moved centroids past each other.
    auto [sorted, order] = torch::sort(centroids_.detach().to(torch::kFloat64), /*stable=*/true, 0, false);
    const torch::Tensor value = x.detach().to(torch::kFloat64).reshape({-1});
    const int64_t k = sorted.numel();
    const torch::Tensor upper = torch::searchsorted(sorted, value).clamp(0, k - 1);  // first c >= x
    const torch::Tensor lower = (upper - 1).clamp_min(0);
    const torch::Tensor distance_above = sorted.index_select(0, upper) - value;
    const torch::Tensor distance_below = value - sorted.index_select(0, lower);
    // Below the first centroid upper = lower + 0 = 0; above the last, upper
    // is clamped to k - 1 and distance_above < 0 picks it.
    const torch::Tensor nearest = torch::where(distance_above < distance_below, upper, lower);
    index = order.index_select(0, nearest);
  }
  const torch::Tensor levels = centroids_.to(x.scalar_type());
  return levels.index_select(0, index).view(x.sizes()) + (x - x.detach());
}

LevelSet CodebookImpl::levels() const {
  if (!initialized()) {
    throw std::logic_error("quantizer codebook: levels() before initialisation; call initialize() or forward() first");
  }
  LevelSet set;
  set.kind = "codebook";
  // Codes are unsigned indices into `values`; there is no scale.
  set.spec.bits = options_.bits;
  set.spec.is_signed = false;
  set.spec.narrow_range = false;
  set.spec.symmetric = true;
  set.spec.granularity = quant::Granularity::PerTensor;
  set.spec.scales = {1.0};
  set.values = std::get<0>(torch::sort(centroids_.detach().to(torch::kCPU, torch::kFloat32))).reshape({1, -1});
  return set;
}

Quantizer make_codebook_quantizer(const QuantizerOptions& options) {
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<CodebookImpl>(options)));
}

}  // namespace bitlab::train
