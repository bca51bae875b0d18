#pragma once
// Builds the network a config describes: the float network of `model`, and,
// when the config has a `quantization` section, its fake-quantised form
// (BatchNorm folded, trained folded or kept per quantization.batchnorm, layers
// replaced per the precision policy).
#include <memory>

#include "lab/train_config.h"
#include "train/classifier.h"

namespace bitlab::lab {

std::shared_ptr<train::Classifier> build_network(const ModelConfig& config);

enum class Weights {
  kFresh,            // as initialised (to be overwritten by a checkpoint of this very config)
  kFromFloatCheckpoint,  // quantization.from's weights loaded before folding and quantising
};

std::shared_ptr<train::Classifier> build_network(const TrainJobConfig& config, Weights weights);

int64_t count_parameters(train::Classifier& network);

}  // namespace bitlab::lab
