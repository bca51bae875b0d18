#pragma once
// What every strategy searches through (docs/search.md §4): the space, the
// objective, and evaluate(), which answers from the trial log when the
// candidate was already evaluated at that budget and otherwise costs it (hw),
// trains it (the Evaluator), logs it and advances the progress bar.
//
// Resume: strategies are deterministic given the seed and the answers they
// get, so a rerun over the same log replays the same proposals, every one
// already logged is answered without training, and the search continues where
// the killed one stopped.
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "common/progress.h"
#include "search/core/evaluator.h"
#include "search/core/objective.h"
#include "search/core/space.h"
#include "search/core/trial_log.h"

namespace bitlab::search {

struct ContextOptions {
  // Distinct (candidate, budget) requests a strategy may make; each is one
  // trial (evaluated now or answered from the log).
  int max_trials = 50;
  std::uint64_t seed = 0;
  std::string strategy = "random";  // recorded in each trial
  // Candidates whose costs already break a budget are logged without training.
  bool skip_cost_infeasible = true;
  bool progress = true;
};

class SearchContext {
 public:
  // `cost_model` may be null (the evaluator then reports every cost itself).
  SearchContext(const SearchSpace& space, Objective objective, Evaluator& evaluator, CostModel* cost_model,
                TrialLog& log, ContextOptions options);
  ~SearchContext();

  [[nodiscard]] const SearchSpace& space() const { return space_; }
  [[nodiscard]] const Objective& objective() const { return objective_; }
  [[nodiscard]] const ContextOptions& options() const { return options_; }
  [[nodiscard]] TrialLog& log() { return log_; }

  // The trial of `genes` at `budget` epochs (a copy: the log may grow). With
  // continue_from > 0 and that trial of `genes` in the log (trained, not
  // skipped), a new evaluation continues it (Evaluator::evaluate_continued).
  Trial evaluate(const Genes& genes, int budget, int continue_from = 0);
  // Costs alone (no training): for ILP tables and cost-only filters.
  std::map<std::string, double> costs(const Genes& genes);
  [[nodiscard]] double score(const Trial& trial) const { return objective_.score(trial.evaluation); }

  // Requests made in this run (distinct (key, budget)); strategies stop at max_trials.
  [[nodiscard]] int requests() const { return static_cast<int>(requested_.size()); }
  [[nodiscard]] bool exhausted() const { return requests() >= options_.max_trials; }
  // Trials newly evaluated in this run (not answered from the log).
  [[nodiscard]] int evaluated() const { return evaluated_; }
  void finish_progress();

 private:
  const SearchSpace& space_;
  Objective objective_;
  Evaluator& evaluator_;
  CostModel* cost_model_;
  TrialLog& log_;
  ContextOptions options_;
  std::set<std::pair<std::string, int>> requested_;
  int evaluated_ = 0;
  std::optional<double> best_;
  std::unique_ptr<ProgressBar> progress_;
};

// The best trial by objective score among those at the largest budget in the
// log (ties: the earlier one); nullopt for an empty log.
std::optional<Trial> best_trial(const TrialLog& log, const Objective& objective);

}  // namespace bitlab::search
