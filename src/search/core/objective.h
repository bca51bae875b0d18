#pragma once
// What a search optimises (docs/search.md §2): an evaluation's accuracy and
// named costs, the constraints (budgets on any cost, an accuracy floor), and
// the scalar score single-objective strategies maximise: the accuracy, or
// AutoQKeras's forgiving-factor score.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bitlab::search {

// The result of evaluating one candidate at one budget (epochs).
struct Evaluation {
  double accuracy = 0.0;                 // validation accuracy in [0, 1]
  std::map<std::string, double> costs;   // "bops", "weight_bytes", "energy_pj", ...
  double seconds = 0.0;                  // wall time the evaluation took
  // The value of `metric`: "accuracy" or a cost name; throws std::out_of_range naming it.
  [[nodiscard]] double metric(const std::string& metric) const;
};

// The fields "accuracy", "costs" (an object) and "seconds" of the records that
// hold an evaluation: trial log lines and the flat-reference cache. to_json
// writes an object of those three, which the records merge into theirs;
// from_json reads them from such a record ("seconds" may be missing: caches
// from before it was recorded) and throws nlohmann::json::exception.
void to_json(nlohmann::json& json, const Evaluation& evaluation);
void from_json(const nlohmann::json& json, Evaluation& evaluation);

struct Constraints {
  std::map<std::string, double> budgets;  // cost name → largest allowed value
  std::optional<double> accuracy_floor;
  // Σ relative overshoots: Σ max(0, cost/budget − 1) + max(0, floor − accuracy). 0 when feasible.
  [[nodiscard]] double violation(const Evaluation& e) const;
  [[nodiscard]] bool feasible(const Evaluation& e) const { return violation(e) == 0.0; }
};

// AutoQKeras's forgiving factor (Coelho et al., Nature Machine Intelligence 2021;
// qkeras/autoqkeras/forgiving_metrics): a trial smaller than the reference earns
// delta_p % per factor `rate` of reduction, a larger one loses delta_n % per
// factor `rate` of growth:
//   delta = (trial < ref ? delta_p : delta_n) / 100 · ln(ref / trial) / ln(rate)
//   score = accuracy · (1 + delta),  ref = reference_cost · stress.
struct ForgivingFactor {
  std::string cost = "total_bits";  // the goal: a bits or energy cost of the evaluation
  double delta_p = 8.0;             // percent
  double delta_n = 8.0;             // percent
  double rate = 2.0;                // > 1
  double stress = 1.0;              // < 1 pushes towards smaller models
  // The cost of the reference model (e.g. every layer at reference bits, 8):
  // the search computes it from the cost model at reference_bits when unset.
  std::optional<double> reference_cost;
  int reference_bits = 8;

  [[nodiscard]] double delta(double trial_cost) const;
  [[nodiscard]] double score(double accuracy, double trial_cost) const;
};

struct Objective {
  // Unset: maximise accuracy. Set: maximise the AutoQKeras score.
  std::optional<ForgivingFactor> forgiving;
  Constraints constraints;

  // The score a single-objective strategy maximises. An infeasible evaluation
  // scores min(raw, 0) − 2 − violation: below every feasible one (raw scores are
  // accuracies, ≥ −1 even after a forgiving factor), and lower the further from
  // feasible it is, so surrogates still learn where the feasible region lies.
  [[nodiscard]] double score(const Evaluation& e) const;
  [[nodiscard]] double raw_score(const Evaluation& e) const;
};

}  // namespace bitlab::search
