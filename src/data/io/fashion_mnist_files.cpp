#include "data/io/fashion_mnist_files.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab::data {

std::filesystem::path fashion_mnist_file(const std::filesystem::path& root, Split split,
                                         const std::string& kind) {
  std::string prefix = split == Split::kTrain ? "train" : "t10k";
  std::string name = fmt::format("{}-{}-idx{}-ubyte", prefix, kind, kind == "images" ? 3 : 1);
  std::filesystem::path plain = root / name;
  std::filesystem::path gz = root / (name + ".gz");
  // Prefer the uncompressed file when a user unpacked the dataset.
  return std::filesystem::exists(plain) ? plain : gz;
}

ImageClassificationSet read_fashion_mnist(const std::filesystem::path& root, Split split) {
  auto images_path = fashion_mnist_file(root, split, "images");
  auto labels_path = fashion_mnist_file(root, split, "labels");
  ImageClassificationSet set{read_idx(images_path), read_idx(labels_path), 10};
  if (set.images.dims.size() != 3) {
    throw DataError(fmt::format("{}: expected 3 dimensions (N x H x W), found {}", images_path.string(),
                                set.images.dims.size()));
  }
  if (set.labels.dims.size() != 1) {
    throw DataError(fmt::format("{}: expected 1 dimension (N), found {}", labels_path.string(),
                                set.labels.dims.size()));
  }
  if (set.images.count() != set.labels.count()) {
    throw DataError(fmt::format("{} holds {} images but {} holds {} labels", images_path.string(),
                                set.images.count(), labels_path.string(), set.labels.count()));
  }
  for (size_t i = 0; i < set.labels.values.size(); ++i) {
    if (set.labels.values[i] >= set.num_classes) {
      throw DataError(fmt::format("{}: label {} of sample {} is outside [0, {})", labels_path.string(),
                                  set.labels.values[i], i, set.num_classes));
    }
  }
  return set;
}

}  // namespace bitlab::data
