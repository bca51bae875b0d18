#pragma once
// Successive halving and Hyperband over training epochs (Li et al., JMLR 2018;
// docs/search.md §4.3). The budget a trial gets is the number of QAT epochs
// passed to the evaluator; trials are cached per (candidate, epochs).
#include <vector>

#include "search/core/strategy.h"

namespace bitlab::search {

struct Rung {
  int budget = 0;                 // epochs
  std::vector<Genes> candidates;  // evaluated at this rung
  std::vector<double> scores;
};

// Evaluates `candidates` at `min_budget`, keeps the best ⌊n/eta⌋ (at least
// one) by score, multiplies the budget by eta (capped at max_budget), and so
// on until one candidate is left or max_budget was used. Returns the rungs.
// With `continue_trials`, a promoted candidate continues its previous rung's
// trial (only the extra epochs train) instead of training from scratch.
std::vector<Rung> successive_halving(SearchContext& ctx, std::vector<Genes> candidates, int min_budget,
                                     int max_budget, int eta, bool continue_trials = true);

struct HyperbandOptions {
  int min_budget = 1;  // epochs
  int max_budget = 9;
  int eta = 3;
  // false: one successive-halving bracket (the most aggressive one) only.
  bool hyperband = true;
  // Promoted candidates continue their previous rung's trial (the evaluator
  // resumes its state and trains the extra epochs), so a candidate that
  // reaches max_budget costs max_budget epochs, not the sum over its rungs.
  bool continue_trials = true;
};

class Hyperband : public Strategy {
 public:
  explicit Hyperband(HyperbandOptions options = {}) : options_(options) {}
  [[nodiscard]] std::string name() const override { return options_.hyperband ? "hyperband" : "successive_halving"; }
  // Brackets s = s_max … 0 with s_max = ⌊log_eta(max/min)⌋: n = ⌈(s_max+1)/(s+1)·eta^s⌉
  // random candidates start at max_budget·eta^−s epochs. Stops early at max_trials.
  void run(SearchContext& ctx) override;

 private:
  HyperbandOptions options_;
};

}  // namespace bitlab::search
