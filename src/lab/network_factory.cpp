#include "lab/network_factory.h"

#include <fmt/format.h>

#include "common/error.h"
#include "zoo/fmnist_cnn.h"

namespace bitlab::lab {

std::shared_ptr<train::Classifier> build_network(const ModelConfig& config) {
  if (config.arch == "fmnist_cnn") return zoo::FmnistCnn(config.cnn).ptr();
  throw ConfigError(fmt::format("model.arch \"{}\": unknown network (known: fmnist_cnn)", config.arch));
}

int64_t count_parameters(train::Classifier& network) {
  int64_t n = 0;
  for (const auto& p : network.parameters()) n += p.numel();
  return n;
}

}  // namespace bitlab::lab
