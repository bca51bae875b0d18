#include "support/synthetic_dataset.h"

#include <random>
#include <string>

#include "data/io/idx.h"

namespace bitlab::testing {

TempDir::TempDir() {
  std::random_device entropy;
  path_ = std::filesystem::temp_directory_path() /
          ("bitlab-test-" + std::to_string(entropy()) + "-" + std::to_string(entropy()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

namespace {

void write_split(const std::filesystem::path& root, const std::string& prefix, int64_t n,
                 const SyntheticDatasetOptions& o, std::mt19937& rng) {
  data::IdxArray images{{n, o.side, o.side}, std::vector<uint8_t>(static_cast<size_t>(n * o.side * o.side))};
  data::IdxArray labels{{n}, std::vector<uint8_t>(static_cast<size_t>(n))};
  int64_t grid = 4, cell = o.side / grid;
  for (int64_t i = 0; i < n; ++i) {
    auto label = static_cast<int64_t>(i % o.classes);
    labels.values[static_cast<size_t>(i)] = static_cast<uint8_t>(label);
    int64_t top = (label / grid) * cell, left = (label % grid) * cell;
    for (int64_t y = 0; y < o.side; ++y) {
      for (int64_t x = 0; x < o.side; ++x) {
        bool lit = y >= top && y < top + 6 && x >= left && x < left + 6;
        int value = (lit ? 200 : 20) + static_cast<int>(rng() % 40);
        images.values[static_cast<size_t>((i * o.side + y) * o.side + x)] = static_cast<uint8_t>(value);
      }
    }
  }
  std::string ext = o.gzip ? ".gz" : "";
  data::write_idx(root / (prefix + "-images-idx3-ubyte" + ext), images);
  data::write_idx(root / (prefix + "-labels-idx1-ubyte" + ext), labels);
}

}  // namespace

void write_synthetic_fashion_mnist(const std::filesystem::path& root, const SyntheticDatasetOptions& options) {
  std::mt19937 rng(static_cast<uint32_t>(options.seed));
  std::filesystem::create_directories(root);
  write_split(root, "train", options.train, options, rng);
  write_split(root, "t10k", options.test, options, rng);
}

}  // namespace bitlab::testing
