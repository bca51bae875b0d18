#include "lab/datasets.h"

#include "data/fashion_mnist.h"

namespace bitlab::lab {

train::LabeledTensors load_split(const DataConfig& config, data::Split split) {
  data::FashionMnistOptions options;
  options.root = config.root;
  options.split = split;
  options.limit = split == data::Split::kTrain ? config.train_limit : config.test_limit;
  data::FashionMnist dataset(options);
  return {dataset.images(), dataset.labels()};
}

}  // namespace bitlab::lab
