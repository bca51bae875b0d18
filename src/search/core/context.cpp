#include "search/core/context.h"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

namespace bitlab::search {

namespace {

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

SearchContext::SearchContext(const SearchSpace& space, Objective objective, Evaluator& evaluator,
                             CostModel* cost_model, TrialLog& log, ContextOptions options)
    : space_(space),
      objective_(std::move(objective)),
      evaluator_(evaluator),
      cost_model_(cost_model),
      log_(log),
      options_(std::move(options)) {
  if (options_.progress) {
    ProgressOptions p;
    p.label = "search " + options_.strategy;
    p.unit = "trial";
    progress_ = std::make_unique<ProgressBar>(options_.max_trials, p);
  }
}

SearchContext::~SearchContext() = default;

void SearchContext::finish_progress() {
  if (progress_) progress_->finish(best_ ? fmt::format("best score {:.4f}", *best_) : "");
}

std::map<std::string, double> SearchContext::costs(const Genes& genes) {
  return cost_model_ ? cost_model_->costs(to_assignment(space_, genes)) : std::map<std::string, double>{};
}

Trial SearchContext::evaluate(const Genes& genes, int budget, int continue_from) {
  if (!space_.valid(genes)) throw std::invalid_argument("SearchContext::evaluate: genes outside the space");
  const std::string key = canonical_key(space_, genes);
  const bool new_request = requested_.insert({key, budget}).second;
  Trial trial;
  if (const Trial* logged = log_.find(key, budget)) {
    trial = *logged;
  } else {
    trial.key = key;
    trial.budget = budget;
    trial.genes = genes;
    trial.strategy = options_.strategy;
    Evaluation costs_only;
    costs_only.costs = costs(genes);
    // A budget broken by costs alone cannot be repaired by training: skip it.
    Constraints cost_budgets = objective_.constraints;
    cost_budgets.accuracy_floor.reset();
    bool cost_infeasible = false;
    try {
      cost_infeasible = options_.skip_cost_infeasible && !cost_budgets.feasible(costs_only);
    } catch (const std::out_of_range&) {
      cost_infeasible = false;  // a budget on a cost only the evaluator measures
    }
    if (cost_infeasible) {
      trial.evaluation = costs_only;
      trial.skipped = true;
    } else {
      const auto start = std::chrono::steady_clock::now();
      const Trial* earlier = continue_from > 0 && continue_from < budget ? log_.find(key, continue_from) : nullptr;
      trial.evaluation = earlier != nullptr && !earlier->skipped
                             ? evaluator_.evaluate_continued(space_, genes, continue_from, budget)
                             : evaluator_.evaluate(space_, genes, budget);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (trial.evaluation.seconds == 0.0) trial.evaluation.seconds = seconds;
      // The evaluator's own measurements win over modelled costs of the same name.
      for (const auto& [name, value] : costs_only.costs) trial.evaluation.costs.emplace(name, value);
    }
    trial.finished_at = utc_now();
    trial = log_.append(std::move(trial));
    ++evaluated_;
  }
  if (new_request) {
    const double s = score(trial);
    if (!best_ || s > *best_) best_ = s;
    if (progress_) progress_->update(requests(), fmt::format("best score {:.4f}", *best_));
  }
  return trial;
}

std::optional<Trial> best_trial(const TrialLog& log, const Objective& objective) {
  int budget = 0;
  for (const auto& t : log.trials()) budget = std::max(budget, t.budget);
  std::optional<Trial> best;
  for (const auto& t : log.trials())
    if (t.budget == budget && (!best || objective.score(t.evaluation) > objective.score(best->evaluation))) best = t;
  return best;
}

}  // namespace bitlab::search
