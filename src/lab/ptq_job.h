#pragma once
// Post-training quantisation: a float checkpoint, a precision policy and a few
// calibration batches in; a quantised checkpoint and its accuracy out.
#include <torch/torch.h>

#include <filesystem>

#include "lab/train_config.h"
#include "train/classifier.h"
#include "train/metrics.h"

namespace bitlab::lab {

// Calibrates the activation ranges of a quantised network on a fixed, shuffled
// subset of `images` (config.quantization.calibration: method and batches).
void calibrate_network(train::Classifier& network, const TrainJobConfig& config, const torch::Tensor& images,
                       const torch::Device& device);

struct PtqResult {
  train::Evaluation float_model;
  train::Evaluation quantized_model;
  // One row per quantised layer: {"layer", "role" (weights|activations), "bits", "algorithm"}.
  nlohmann::json layers = nlohmann::json::array();
  std::filesystem::path checkpoint;
  std::filesystem::path metrics;
  double seconds = 0;
};

// config.quantization.from names the float checkpoint. Writes checkpoint.pt,
// config.json and metrics.json into config.output_dir.
PtqResult run_ptq_job(const TrainJobConfig& config);

}  // namespace bitlab::lab
