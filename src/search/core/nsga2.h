#pragma once
// NSGA-II (Deb, Pratap, Agarwal & Meyarivan, IEEE TEC 2002; docs/search.md
// §4.4) over choice indices: binary tournaments by (rank, crowding),
// simulated binary crossover and polynomial mutation on the indices (rounded
// to the nearest choice), elitist (μ + λ) survival by non-dominated sorting
// and crowding distance. Constraints by Deb's constrained domination: a
// feasible candidate beats an infeasible one, two infeasible ones compare by
// violation.
#include <string>
#include <vector>

#include "search/core/pareto.h"
#include "search/core/strategy.h"

namespace bitlab::search {

struct MetricGoal {
  std::string metric;     // "accuracy" or a cost name
  bool maximise = false;
};

struct Nsga2Options {
  int budget = 1;          // epochs per trial
  int population = 20;
  int generations = 10;    // also stops at the context's max_trials
  std::vector<MetricGoal> objectives = {{"accuracy", true}, {"bops", false}};
  double crossover_probability = 0.9;
  double crossover_eta = 15.0;
  double mutation_eta = 20.0;
  double mutation_probability = 0.0;  // per gene; 0: 1/D
};

// The minimised point of an evaluation (maximised metrics negated).
Point objective_point(const Evaluation& e, const std::vector<MetricGoal>& goals);

class Nsga2 : public Strategy {
 public:
  explicit Nsga2(Nsga2Options options = {}) : options_(std::move(options)) {}
  [[nodiscard]] std::string name() const override { return "nsga2"; }
  void run(SearchContext& ctx) override;
  // The final population (after run).
  [[nodiscard]] const std::vector<Genes>& population() const { return population_; }

 private:
  Nsga2Options options_;
  std::vector<Genes> population_;
};

}  // namespace bitlab::search
