#pragma once
// The config of one training job (docs/configs.md). Parsing is torch-free and
// strict: unknown keys, wrong types and out-of-range values are ConfigErrors
// that name the file, the JSON path and what was expected.
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "train/trainer_options.h"
#include "zoo/fmnist_cnn_options.h"

namespace bitlab::lab {

struct DataConfig {
  std::string dataset = "fashion_mnist";
  std::string root = "/usr/share/datasets/fashion-mnist";
  int64_t train_limit = 0;  // first N training samples (0 = all 60k)
  int64_t test_limit = 0;   // first N test samples (0 = the full 10k test set)
};

struct ModelConfig {
  std::string arch = "fmnist_cnn";
  zoo::FmnistCnnOptions cnn;
};

struct TrainJobConfig {
  std::string name = "run";
  DataConfig data;
  ModelConfig model;
  train::TrainerOptions train;
  std::string output_dir = "runs/run";
};

TrainJobConfig parse_train_config(const nlohmann::json& json, const std::string& file_name);
TrainJobConfig load_train_config(const std::filesystem::path& path);

// The fully resolved config (defaults filled in): saved beside results and in
// checkpoints so a run can be rebuilt exactly; parse_train_config reads it back.
nlohmann::json to_json(const TrainJobConfig& config);

}  // namespace bitlab::lab
