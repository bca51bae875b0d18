#pragma once
// Checkpoints: model parameters and buffers, optimiser state (optional) and a
// JSON metadata record (format version, what network it is, training history),
// in one LibTorch archive written atomically.
#include <torch/torch.h>

#include <filesystem>

#include <nlohmann/json.hpp>

namespace bitlab::train {

inline constexpr int kCheckpointFormatVersion = 1;

void save_checkpoint(const std::filesystem::path& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer, const nlohmann::json& meta);

// Reads only the metadata, e.g. to rebuild the network before loading weights.
nlohmann::json read_checkpoint_meta(const std::filesystem::path& path);

// Loads weights (and optimiser state when `optimizer` is given) into an already
// built model of the same architecture; returns the metadata. Errors name the file.
nlohmann::json load_checkpoint(const std::filesystem::path& path, torch::nn::Module& model,
                               torch::optim::Optimizer* optimizer);

}  // namespace bitlab::train
