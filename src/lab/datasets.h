#pragma once
// The dataset a config names, as whole tensors for the trainer.
#include "data/io/fashion_mnist_files.h"
#include "lab/train_config.h"
#include "train/trainer.h"

namespace bitlab::lab {

// Honours data.train_limit / data.test_limit.
train::LabeledTensors load_split(const DataConfig& config, data::Split split);

}  // namespace bitlab::lab
