#pragma once
// Builds the network a ModelConfig names.
#include <memory>

#include "lab/train_config.h"
#include "train/classifier.h"

namespace bitlab::lab {

std::shared_ptr<train::Classifier> build_network(const ModelConfig& config);

int64_t count_parameters(train::Classifier& network);

}  // namespace bitlab::lab
