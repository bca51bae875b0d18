#include "train/quantizers/catalog.h"

namespace bitlab::train {

const std::vector<AlgorithmInfo>& algorithm_catalog() {
  static const std::vector<AlgorithmInfo> catalog = {
      // name       weights activations per_channel
      {"ste", true, true, true},         {"pact", true, true, true},    {"lsq", true, true, true},
      {"tqt", true, true, true},        {"dorefa", true, true, true},  {"ana", true, true, true},
      {"inq", true, false, false},       {"binary", true, true, true},  {"twn", true, false, true},
      {"ttq", true, false, false},       {"log2", true, false, true},   {"codebook", true, false, false},
      // Search-time only (docs/search.md §4.8): its signed grids have no zero.
      {"bayesian_bits", true, true, true},
  };
  return catalog;
}

const AlgorithmInfo* find_algorithm(const std::string& name) {
  for (const auto& a : algorithm_catalog())
    if (a.name == name) return &a;
  return nullptr;
}

const std::vector<std::string>& quantizer_algorithms() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& a : algorithm_catalog()) n.push_back(a.name);
    return n;
  }();
  return names;
}

}  // namespace bitlab::train
