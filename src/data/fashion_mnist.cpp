#include "data/fashion_mnist.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab::data {

FashionMnist::FashionMnist(FashionMnistOptions options) : options_(std::move(options)) {
  if (options_.limit < 0) throw DataError(fmt::format("limit must be >= 0, got {}", options_.limit));
  if (!(options_.std > 0)) throw DataError(fmt::format("std must be > 0, got {}", options_.std));
  ImageClassificationSet set = read_fashion_mnist(options_.root, options_.split);
  int64_t n = set.images.count();
  if (options_.limit > 0) n = std::min(n, options_.limit);
  int64_t h = set.images.dims[1], w = set.images.dims[2];
  auto raw = torch::from_blob(set.images.values.data(), {n, 1, h, w}, torch::kUInt8);
  images_ = raw.to(torch::kFloat32).div_(255.0).sub_(options_.mean).div_(options_.std);
  labels_ = torch::from_blob(set.labels.values.data(), {n}, torch::kUInt8).to(torch::kInt64);
  num_classes_ = set.num_classes;
}

torch::data::Example<> FashionMnist::get(size_t index) {
  return {images_[static_cast<int64_t>(index)], labels_[static_cast<int64_t>(index)]};
}

torch::optional<size_t> FashionMnist::size() const { return static_cast<size_t>(images_.size(0)); }

}  // namespace bitlab::data
