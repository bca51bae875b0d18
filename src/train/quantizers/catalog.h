#pragma once
// What each QAT algorithm can do, torch-free so policies and configs can be
// validated without LibTorch. registry.cpp maps the same names to factories.
#include <string>
#include <vector>

namespace bitlab::train {

struct AlgorithmInfo {
  std::string name;
  bool weights;      // can quantise weights
  bool activations;  // can quantise activations
  bool per_channel;  // supports per-channel granularity (else per-tensor only)
};

const std::vector<AlgorithmInfo>& algorithm_catalog();
const AlgorithmInfo* find_algorithm(const std::string& name);  // nullptr if unknown
const std::vector<std::string>& quantizer_algorithms();         // names, in catalog order

}  // namespace bitlab::train
