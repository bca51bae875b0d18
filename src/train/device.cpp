#include "train/device.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab::train {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw ConfigError(fmt::format(
          "device \"{}\": this LibTorch has no usable CUDA (Debian's libtorch is CPU-only, or no GPU "
          "is present); rebuild with -DTorch_DIR=<a CUDA LibTorch> or use --device cpu",
          name));
    }
    try {
      return torch::Device(name);
    } catch (const c10::Error&) {
    }
  }
  throw ConfigError(fmt::format("device \"{}\": expected \"cpu\", \"cuda\" or \"cuda:N\"", name));
}

}  // namespace bitlab::train
