#pragma once
// Learned codebook levels (simplified LQ-Net: Zhang, Yang, Ye & Hua, 2018). docs/algorithms-nonuniform.md.
#include "train/quantizers/quantizer.h"

namespace bitlab::train {

class CodebookImpl : public QuantizerImpl {
 public:
  explicit CodebookImpl(QuantizerOptions options);

  // Each weight becomes its nearest centroid (an exact tie goes to the
  // smaller centroid, like quant::Codebook::encode). Backward: the latent
  // weight gets dL/dw' unchanged (STE); when learning, centroid j gets the
  // sum of dL/dw' over the weights assigned to it. Initialises itself from x
  // on the first forward if initialize() was not called.
  torch::Tensor forward(const torch::Tensor& x) override;
  // Centroids = quant::Codebook::learn(x, {bits, iterations, seed}): 1-D
  // k-means, k-means++ seeding, deterministic given the seed.
  void initialize(const torch::Tensor& x) override;
  // kind "codebook": values = the sorted centroids [1, K], K <= 2^bits.
  // Throws std::logic_error before initialisation.
  LevelSet levels() const override;

  bool initialized() const { return centroids_.numel() > 0; }
  bool learned() const { return learn_; }
  uint64_t seed() const { return seed_; }
  int iterations() const { return iterations_; }
  const torch::Tensor& centroids() const { return centroids_; }

 private:
  uint64_t seed_;    // params.seed
  bool learn_;       // params.learn
  int iterations_;   // params.iterations
  // parameter "centroids" when learning, buffer "centroids" otherwise; [K]
  // in k-means order (ascending at initialisation; training may reorder).
  torch::Tensor centroids_;
};
TORCH_MODULE(Codebook);

}  // namespace bitlab::train
