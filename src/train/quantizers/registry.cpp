#include <fmt/format.h>

#include "common/error.h"
#include "common/text.h"
#include "train/quantizers/algorithms.h"

namespace bitlab::train {
namespace {

using Factory = Quantizer (*)(const QuantizerOptions&);

Factory factory_of(const std::string& name) {
  static const std::vector<std::pair<std::string, Factory>> factories = {
      {"ste", make_ste_quantizer},       {"pact", make_pact_quantizer},     {"lsq", make_lsq_quantizer},
      {"tqt", make_tqt_quantizer},       {"dorefa", make_dorefa_quantizer}, {"ana", make_ana_quantizer},
      {"inq", make_inq_quantizer},       {"binary", make_binary_quantizer}, {"twn", make_twn_quantizer},
      {"ttq", make_ttq_quantizer},       {"log2", make_log2_quantizer},     {"codebook", make_codebook_quantizer},
      {"bayesian_bits", make_bayesian_bits_quantizer},
  };
  for (const auto& [n, f] : factories)
    if (n == name) return f;
  return nullptr;
}

}  // namespace

bool algorithm_supports(const std::string& algorithm, TensorRole role) {
  const AlgorithmInfo* a = find_algorithm(algorithm);
  return a && (role == TensorRole::kWeight ? a->weights : a->activations);
}

Quantizer make_quantizer(const QuantizerOptions& options) {
  Factory make = factory_of(options.algorithm);
  if (!make || !find_algorithm(options.algorithm)) {
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
  return make(options);
}

}  // namespace bitlab::train
