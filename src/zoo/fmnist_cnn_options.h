#pragma once
// Options of the Fashion-MNIST CNN, torch-free so configs can be parsed without LibTorch.
#include <cstdint>
#include <vector>

namespace bitlab::zoo {

struct FmnistCnnOptions {
  int64_t in_channels = 1;
  int64_t image_size = 28;
  int64_t num_classes = 10;
  // One block per entry: `convs_per_block` conv3x3-BN-ReLU layers, then 2x2 max pooling.
  std::vector<int64_t> channels{32, 64};
  int64_t convs_per_block = 1;
  int64_t hidden = 128;  // width of the hidden linear layer; 0 = linear head only
  double dropout = 0.2;  // before the last linear layer
};

}  // namespace bitlab::zoo
