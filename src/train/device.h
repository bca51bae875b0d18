#pragma once
#include <torch/torch.h>

#include <string>

namespace bitlab::train {

// "cpu", "cuda" or "cuda:N". Asking for CUDA on a LibTorch built without it (Debian's
// is CPU-only) or on a machine without a GPU is a ConfigError saying so.
torch::Device parse_device(const std::string& name);

}  // namespace bitlab::train
