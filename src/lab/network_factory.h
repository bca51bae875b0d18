#pragma once
// Builds the network a config describes: the float network of `model`, and,
// when the config has a `quantization` section, its fake-quantised form
// (BatchNorm folded, trained folded or kept per quantization.batchnorm, layers
// replaced per the precision policy).
#include <memory>

#include "lab/train_config.h"
#include "train/classifier.h"
#include "train/trace/trace_model.h"

namespace bitlab::lab {

std::shared_ptr<train::Classifier> build_network(const ModelConfig& config);

enum class Weights {
  kFresh,            // as initialised (to be overwritten by a checkpoint of this very config)
  kFromFloatCheckpoint,  // quantization.from's weights loaded before folding and quantising
};

std::shared_ptr<train::Classifier> build_network(const TrainJobConfig& config, Weights weights);

// How to trace the network of `config` (train::trace_model): its input shape
// at batch 1 (the zoo spec's, or the Fashion-MNIST CNN's image size) and the
// config's name as graph name. Every command that traces a config uses this.
train::TraceOptions trace_options(const TrainJobConfig& config);

int64_t count_parameters(train::Classifier& network);

}  // namespace bitlab::lab
