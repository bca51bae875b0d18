#include "search/core/bayesian_bits.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"

namespace bitlab::search {

void BayesianBits::run(SearchContext& ctx) {
  if (options_.chosen.empty())
    throw ConfigError("bayesian_bits: no widths to evaluate; the gates are trained by `bitlab search` "
                      "(docs/search.md §4.8), which fills /strategy/widths");
  std::vector<Genes> done;
  for (const auto& genes : options_.chosen) {
    if (ctx.exhausted()) break;
    if (std::find(done.begin(), done.end(), genes) != done.end()) continue;  // two λ, one candidate
    ctx.evaluate(genes, options_.budget);
    done.push_back(genes);
  }
}

void check_bayesian_bits_space(const SearchSpace& space, const std::string& source) {
  for (const auto& knob : space.knobs) {
    for (std::size_t i = 1; i < knob.bits.size(); ++i) {
      if (knob.bits[i] == 2 * knob.bits[i - 1]) continue;
      const auto& layer = space.layers[static_cast<std::size_t>(knob.layer)];
      throw ConfigError(fmt::format(
          "{}: /space/layers: {} of {}: bayesian_bits needs widths that double ({} → {} does not), e.g. "
          "[2, 4, 8]: each gate adds the residual of twice the width below it",
          source, knob.weights ? "the weight widths" : "the activation widths", layer.name, knob.bits[i - 1],
          knob.bits[i]));
    }
  }
}

nlohmann::json bayesian_bits_policy(const SearchSpace& space, const BayesianBitsOptions& options) {
  Genes widest(space.knobs.size());
  for (std::size_t d = 0; d < space.knobs.size(); ++d) widest[d] = static_cast<int>(space.knobs[d].bits.size()) - 1;
  nlohmann::json policy = to_policy_json(space, widest);
  for (const auto& knob : space.knobs) {
    if (knob.bits.size() < 2) continue;  // pinned: the space's own algorithm
    const auto& layer = space.layers[static_cast<std::size_t>(knob.layer)];
    const std::string& match = knob.weights ? layer.name : layer.activation_point;
    const char* role = knob.weights ? "weights" : "activations";
    for (auto& rule : policy["layers"]) {
      if (rule["match"] != match || !rule.contains(role)) continue;
      rule[role] = {{"bits", knob.bits.back()},
                    {"algorithm", "bayesian_bits"},
                    {"params",
                     {{"min_bits", knob.bits.front()}, {"threshold", options.threshold}, {"gate_init", options.gate_init}}}};
    }
  }
  return policy;
}

std::string bayesian_bits_key(const BayesianBitsOptions& options, double lambda) {
  return fmt::format("lambda={:g};epochs={};threshold={:g};gate_init={:g};gate_lr={:g}", lambda, options.epochs,
                     options.threshold, options.gate_init, options.gate_lr);
}

}  // namespace bitlab::search
