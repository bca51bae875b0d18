#include "lab/ptq_job.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "lab/datasets.h"
#include "lab/network_factory.h"
#include "train/calibration/calibrate.h"
#include "train/editing/quantize_model.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace bitlab::lab {

void calibrate_network(train::Classifier& network, const TrainJobConfig& config, const torch::Tensor& images,
                       const torch::Device& device) {
  train::CalibrationOptions options;
  options.method = train::calibration_method_from_string(config.quantization.calibration.method);
  options.batches = config.quantization.calibration.batches;
  options.percentile = config.quantization.calibration.percentile;
  options.batch_size = config.train.batch_size;
  options.seed = config.train.seed;
  // A fixed, shuffled subset: the first images of a sorted dataset could miss classes.
  auto generator = at::detail::createCPUGenerator(config.train.seed);
  auto order = torch::randperm(images.size(0), generator, torch::kInt64);
  int64_t n = std::min(images.size(0), options.batches * options.batch_size);
  train::calibrate_activations(network, images.index_select(0, order.narrow(0, 0, n)), options, device);
}

PtqResult run_ptq_job(const TrainJobConfig& config) {
  if (!config.quantization.enabled || config.quantization.from.empty()) {
    throw ConfigError("post-training quantisation needs quantization.from: the float checkpoint to quantise");
  }
  auto start = std::chrono::steady_clock::now();
  auto train_set = load_split(config.data, data::Split::kTrain);
  auto test_set = load_split(config.data, data::Split::kTest);

  PtqResult result;
  auto float_network = build_network(config.model);
  train::load_checkpoint(config.quantization.from, *float_network, nullptr);
  result.float_model = train::Trainer(float_network, config.train).evaluate(test_set);

  auto layers = train::quantizable_layers(*float_network);
  for (const auto& [names, role] : {std::pair{layers.weight_layers, train::TensorRole::kWeight},
                                    std::pair{layers.activation_layers, train::TensorRole::kActivation}}) {
    for (const auto& name : names) {
      auto q = train::resolve_quantizer(config.quantization.policy, name, role);
      result.layers.push_back({{"layer", name},
                               {"role", role == train::TensorRole::kWeight ? "weights" : "activations"},
                               {"bits", q.bits},
                               {"algorithm", q.algorithm}});
    }
  }
  auto network = build_network(config, Weights::kFromFloatCheckpoint);
  train::Trainer trainer(network, config.train);
  train::set_quantization_progress(*network, 1.0);
  calibrate_network(*network, config, train_set.images, trainer.device());
  result.quantized_model = trainer.evaluate(test_set);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::filesystem::path out = config.output_dir;
  result.checkpoint = out / "checkpoint.pt";
  result.metrics = out / "metrics.json";
  write_file_atomically(out / "config.json", to_json(config).dump(2) + "\n");
  train::save_checkpoint(result.checkpoint, *network, nullptr,
                         {{"config", to_json(config)}, {"history", nlohmann::json::array()}});
  nlohmann::json metrics = {{"name", config.name},
                            {"status", "finished"},
                            {"kind", "ptq"},
                            {"config", to_json(config)},
                            {"float", train::to_json(result.float_model)},
                            {"final", train::to_json(result.quantized_model)},
                            {"layers", result.layers},
                            {"seconds", result.seconds}};
  write_file_atomically(result.metrics, metrics.dump(2) + "\n");
  return result;
}

}  // namespace bitlab::lab
