#include "lab/network_factory.h"

#include <fmt/format.h>

#include "common/error.h"
#include "train/checkpoint.h"
#include "train/editing/fold_batchnorm.h"
#include "train/editing/quantize_model.h"
#include "zoo/fmnist_cnn.h"
#include "zoo/networks.h"

namespace bitlab::lab {

std::shared_ptr<train::Classifier> build_network(const ModelConfig& config) {
  if (config.arch == "fmnist_cnn") return zoo::FmnistCnn(config.cnn).ptr();
  if (zoo::find_network(config.arch)) return zoo::build_zoo_network(config.arch).ptr();
  std::string known = "fmnist_cnn";
  for (const auto& n : zoo::kNetworks) known += ", " + std::string(n.name);
  throw ConfigError(fmt::format("model.arch \"{}\": unknown network (known: {})", config.arch, known));
}

train::TraceOptions trace_options(const TrainJobConfig& config) {
  train::TraceOptions trace;
  const auto& cnn = config.model.cnn;
  trace.input_shape = {1, cnn.in_channels, cnn.image_size, cnn.image_size};
  if (const zoo::NetworkSpec* spec = zoo::find_network(config.model.arch)) trace.input_shape = zoo::input_shape(*spec, 1);
  trace.graph_name = config.name;
  return trace;
}

std::shared_ptr<train::Classifier> build_network(const TrainJobConfig& config, Weights weights) {
  auto network = build_network(config.model);
  const auto& q = config.quantization;
  if (!q.enabled) return network;
  if (weights == Weights::kFromFloatCheckpoint && !q.from.empty()) {
    auto meta = train::read_checkpoint_meta(q.from);
    // Weights only fit the architecture they were trained for.
    auto source_model = meta.at("config").at("model");
    auto our_model = to_json(config).at("model");
    if (source_model != our_model) {
      throw ConfigError(fmt::format("quantization.from: {} holds a different network ({}) than this config's model ({})",
                                    q.from, source_model.dump(), our_model.dump()));
    }
    if (meta.at("config").contains("quantization")) {
      throw ConfigError(fmt::format("quantization.from: {} is already quantised; start from a float checkpoint",
                                    q.from));
    }
    train::load_checkpoint(q.from, *network, nullptr);
  }
  // "keep" leaves BatchNorm float; "train" hands Conv2d→BatchNorm2d pairs to quantize_model.
  if (q.batchnorm == "fold") train::fold_batchnorm(*network);
  train::QuantizeModelOptions options;
  options.train_batchnorm = q.batchnorm == "train";
  options.conv_bn.freeze_progress = q.batchnorm_freeze;
  train::quantize_model(*network, q.policy, options);
  return network;
}

int64_t count_parameters(train::Classifier& network) {
  int64_t n = 0;
  for (const auto& p : network.parameters()) n += p.numel();
  return n;
}

}  // namespace bitlab::lab
