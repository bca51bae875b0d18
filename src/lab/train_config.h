#pragma once
// The config of one training job (docs/configs.md). Parsing is torch-free and
// strict: unknown keys, wrong types and out-of-range values are ConfigErrors
// that name the file, the JSON path and what was expected.
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "train/policy.h"
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

// Activation-range calibration for PTQ and for QAT started from PTQ (torch-free
// mirror of train::CalibrationOptions).
struct CalibrationConfig {
  std::string method = "mse";  // minmax | ema | percentile | mse
  int64_t batches = 16;
  double percentile = 99.99;
};

// Present in a config: the network is trained (or calibrated) fake-quantised.
struct QuantizationConfig {
  bool enabled = false;
  train::PrecisionPolicy policy;
  std::string init = "ptq";  // ptq: calibrate activation ranges first; float: ranges from the first batch
  std::string from;          // float checkpoint whose weights QAT starts from ("" = the network's own init)
  // fold: fold BatchNorm into the preceding layer before quantising (inference-exact);
  // train: Conv2d→BatchNorm2d pairs train as QConvBn2d (batch statistics, then frozen);
  // keep: BatchNorm stays a float layer (such a network has no integer-only form).
  std::string batchnorm = "fold";
  double batchnorm_freeze = 0.9;  // train: QAT progress at which BN statistics freeze
  CalibrationConfig calibration;
};

struct TrainJobConfig {
  std::string name = "run";
  DataConfig data;
  ModelConfig model;
  train::TrainerOptions train;
  QuantizationConfig quantization;
  std::string output_dir = "runs/run";
};

TrainJobConfig parse_train_config(const nlohmann::json& json, const std::string& file_name);
// Reads `path`, resolving its "extends" chain (lab/core/config_loader.h) first.
TrainJobConfig load_train_config(const std::filesystem::path& path);

// The fully resolved config (defaults filled in): saved beside results and in
// checkpoints so a run can be rebuilt exactly; parse_train_config reads it back.
nlohmann::json to_json(const TrainJobConfig& config);

}  // namespace bitlab::lab
