#pragma once
// One search, start to finish or resumed (docs/search.md §5): opens the trial
// log in the output directory, fills in the AutoQKeras reference cost, runs
// the configured strategy and writes the front and the chosen policy.
#include <filesystem>
#include <optional>
#include <vector>

#include "search/core/evaluator.h"
#include "search/core/search_config.h"
#include "search/core/trial_log.h"

namespace bitlab::search {

struct SearchSummary {
  int requests = 0;    // trials the strategy asked for in this run
  int evaluated = 0;   // of them, newly evaluated (the rest came from the log)
  int logged = 0;      // trials in the log afterwards
  std::optional<Trial> best;
  std::vector<ReferencePoint> references;      // the config's flat references, evaluated
  std::vector<std::filesystem::path> outputs;  // trials.jsonl, references.json, front.json, front.svg, policy.json
};

// The forgiving factor's reference: its cost with every layer at reference_bits,
// weights and activations (AutoQKeras's ref_bits); ForgivingFactor applies the stress.
double reference_cost(const SearchSpace& space, CostModel& costs, const ForgivingFactor& factor);

SearchSummary run_search(const SearchConfig& config, Evaluator& evaluator, CostModel* costs, bool progress = true);

}  // namespace bitlab::search
