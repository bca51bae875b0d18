#include <fmt/format.h>

#include "common/error.h"
#include "common/text.h"
#include "train/quantizers/algorithms.h"

namespace bitlab::train {
namespace {

struct Algorithm {
  std::string name;
  bool weights;
  bool activations;
  Quantizer (*make)(const QuantizerOptions&);
};

const std::vector<Algorithm>& table() {
  static const std::vector<Algorithm> algorithms = {
      {"ste", true, true, make_ste_quantizer},
      {"pact", true, true, make_pact_quantizer},
      {"lsq", true, true, make_lsq_quantizer},
      {"tqt", true, true, make_tqt_quantizer},
      {"dorefa", true, true, make_dorefa_quantizer},
      {"ana", true, true, make_ana_quantizer},
      {"inq", true, false, make_inq_quantizer},
      {"binary", true, true, make_binary_quantizer},
      {"twn", true, false, make_twn_quantizer},
      {"ttq", true, false, make_ttq_quantizer},
      {"log2", true, false, make_log2_quantizer},
      {"codebook", true, false, make_codebook_quantizer},
  };
  return algorithms;
}

const Algorithm* find(const std::string& name) {
  for (const auto& a : table())
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace

const std::vector<std::string>& quantizer_algorithms() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& a : table()) n.push_back(a.name);
    return n;
  }();
  return names;
}

bool algorithm_supports(const std::string& algorithm, TensorRole role) {
  const Algorithm* a = find(algorithm);
  return a && (role == TensorRole::kWeight ? a->weights : a->activations);
}

Quantizer make_quantizer(const QuantizerOptions& options) {
  const Algorithm* a = find(options.algorithm);
  if (!a) {
    std::string hint = closest_match(options.algorithm, quantizer_algorithms());
    throw ConfigError(fmt::format("unknown quantisation algorithm \"{}\"{}; known: {}", options.algorithm,
                                  hint.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", hint),
                                  join(quantizer_algorithms())));
  }
  if (!algorithm_supports(options.algorithm, options.role)) {
    throw ConfigError(fmt::format("algorithm \"{}\" quantises weights only, not activations", options.algorithm));
  }
  if (options.bits < 1 || options.bits > 16) {
    throw ConfigError(fmt::format("{} bits: expected 1 to 16", options.bits));
  }
  return a->make(options);
}

}  // namespace bitlab::train
