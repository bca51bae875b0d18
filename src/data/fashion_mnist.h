#pragma once
// Fashion-MNIST as a LibTorch dataset. The whole split is decoded once into two
// tensors, so the trainer can batch by indexing (much faster than a per-sample
// DataLoader on two cores); get()/size() make it usable with torch's DataLoader too.
#include <torch/torch.h>

#include <string>

#include "data/io/fashion_mnist_files.h"

namespace bitlab::data {

struct FashionMnistOptions {
  std::string root = kDefaultFashionMnistRoot;
  Split split = Split::kTrain;
  int64_t limit = 0;  // keep the first `limit` samples (0 = all): small subsets for tests
  // Normalisation x' = (x/255 - mean) / std; defaults are the training-set statistics.
  double mean = 0.2860;
  double std = 0.3530;
};

class FashionMnist : public torch::data::datasets::Dataset<FashionMnist> {
 public:
  explicit FashionMnist(FashionMnistOptions options);

  torch::data::Example<> get(size_t index) override;
  torch::optional<size_t> size() const override;

  const torch::Tensor& images() const { return images_; }  // N x 1 x H x W, float32, normalised
  const torch::Tensor& labels() const { return labels_; }  // N, int64
  int64_t num_classes() const { return num_classes_; }
  const FashionMnistOptions& options() const { return options_; }

 private:
  FashionMnistOptions options_;
  torch::Tensor images_;
  torch::Tensor labels_;
  int64_t num_classes_ = 10;
};

}  // namespace bitlab::data
