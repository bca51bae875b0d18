#pragma once
// The zoo's reference networks by name, torch-free so configs validate
// `model.arch` without LibTorch (the builders are in zoo/networks.h).
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace bitlab::zoo {

struct NetworkSpec {
  std::string_view name;
  std::array<int64_t, 3> input;  // [C, H, W]; [features, 0, 0] for a flat input
  int64_t outputs;               // classes (reconstruction size for the autoencoder)
};

inline constexpr std::array<NetworkSpec, 8> kNetworks{{
    {"ds-cnn", {1, 49, 10}, 12},                  // MLPerf Tiny KWS: 49×10 MFCC, 12 keywords
    {"resnet8", {3, 32, 32}, 10},                 // MLPerf Tiny IC (CIFAR-10)
    {"resnet20", {3, 32, 32}, 10},                // He et al. 2016 §4.2 (CIFAR-10)
    {"mobilenet-v1-0.25-96", {3, 96, 96}, 2},     // MLPerf Tiny VWW
    {"mobilenet-v1-0.75-224", {3, 224, 224}, 1000},
    {"mobilenet-v1-1.0-224", {3, 224, 224}, 1000},
    {"mobilenet-v2-1.0-224", {3, 224, 224}, 1000},
    {"fc-autoencoder", {640, 0, 0}, 640},         // MLPerf Tiny AD: 5 frames × 128 mel bins
}};

// nullptr when `name` is not a zoo network.
inline const NetworkSpec* find_network(std::string_view name) {
  for (const auto& n : kNetworks) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

// [batch, C, H, W], or [batch, features] for a flat input.
inline std::vector<int64_t> input_shape(const NetworkSpec& spec, int64_t batch) {
  if (spec.input[1] == 0) return {batch, spec.input[0]};
  return {batch, spec.input[0], spec.input[1], spec.input[2]};
}

}  // namespace bitlab::zoo
