#include "search/core/run_search.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "search/core/context.h"
#include "search/core/outputs.h"

namespace bitlab::search {

double reference_cost(const SearchSpace& space, CostModel& costs, const ForgivingFactor& factor) {
  const auto all = costs.costs(flat_assignment(space, factor.reference_bits, factor.reference_bits));
  const auto it = all.find(factor.cost);
  if (it == all.end())
    throw ConfigError(fmt::format("/objective/forgiving/cost: the cost models have no '{}'", factor.cost));
  return it->second;
}

SearchSummary run_search(const SearchConfig& config, Evaluator& evaluator, CostModel* costs, bool progress) {
  if (costs != nullptr) {
    // Cost the all-lowest candidate first: a layer or activation point the
    // network lacks is reported against the config before anything trains.
    try {
      static_cast<void>(costs->costs(to_assignment(config.space, Genes(config.space.knobs.size(), 0))));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(fmt::format("{}: /space/layers: {}", config.source, e.what()));
    }
  }
  Objective objective = config.objective;
  if (objective.forgiving && !objective.forgiving->reference_cost) {
    if (costs == nullptr)
      throw ConfigError(fmt::format("{}: /objective/forgiving/reference_cost: needed when no cost model is configured",
                                    config.source));
    objective.forgiving->reference_cost = reference_cost(config.space, *costs, *objective.forgiving);
  }
  std::filesystem::create_directories(config.output);
  TrialLog log(config.output / "trials.jsonl", config.space);
  auto strategy = make_strategy(config);
  ContextOptions options;
  options.max_trials = config.max_trials;
  options.seed = config.seed;
  options.strategy = strategy->name();
  options.skip_cost_infeasible = config.skip_cost_infeasible;
  options.progress = progress;
  SearchContext ctx(config.space, objective, evaluator, costs, log, options);
  strategy->run(ctx);
  ctx.finish_progress();

  SearchSummary summary;
  summary.requests = ctx.requests();
  summary.evaluated = ctx.evaluated();
  summary.logged = static_cast<int>(log.trials().size());
  summary.best = best_trial(log, objective);
  summary.outputs.push_back(log.path());
  if (!config.references.empty()) {
    // At the budget the front is drawn at (the largest logged), like the candidates there.
    int budget = 1;
    for (const auto& t : log.trials()) budget = std::max(budget, t.budget);
    const auto cache = config.output / "references.json";
    summary.references = evaluate_references(config.references, budget, config.space, evaluator, costs, cache);
    summary.outputs.push_back(cache);
  }
  for (auto& p : write_outputs(config.output, config.space, log, objective, config.front, summary.references))
    summary.outputs.push_back(p);
  return summary;
}

}  // namespace bitlab::search
