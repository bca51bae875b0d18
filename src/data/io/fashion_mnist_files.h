#pragma once
// The four Fashion-MNIST files (same layout as MNIST), read and cross-checked.
#include <filesystem>
#include <string>

#include "data/io/idx.h"

namespace bitlab::data {

inline constexpr const char* kDefaultFashionMnistRoot = "/usr/share/datasets/fashion-mnist";

enum class Split { kTrain, kTest };

struct ImageClassificationSet {
  IdxArray images;  // N x H x W, unsigned bytes
  IdxArray labels;  // N, values in [0, num_classes)
  int64_t num_classes = 10;
};

// Looks for "<prefix>-images-idx3-ubyte" with or without ".gz" under `root`,
// prefix "train" or "t10k". Throws DataError for a missing, malformed or
// inconsistent pair (different counts, labels out of range, not 3-D images).
ImageClassificationSet read_fashion_mnist(const std::filesystem::path& root, Split split);

std::filesystem::path fashion_mnist_file(const std::filesystem::path& root, Split split,
                                         const std::string& kind);

}  // namespace bitlab::data
