#include "search/core/objective.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace bitlab::search {

void to_json(nlohmann::json& json, const Evaluation& evaluation) {
  nlohmann::json costs = nlohmann::json::object();  // {} also when there are none
  for (const auto& [name, value] : evaluation.costs) costs[name] = value;
  json = {{"accuracy", evaluation.accuracy}, {"costs", costs}, {"seconds", evaluation.seconds}};
}

void from_json(const nlohmann::json& json, Evaluation& evaluation) {
  evaluation.accuracy = json.at("accuracy").get<double>();
  evaluation.costs.clear();
  for (const auto& [name, value] : json.at("costs").items()) evaluation.costs[name] = value.get<double>();
  evaluation.seconds = json.value("seconds", 0.0);
}

double Evaluation::metric(const std::string& metric) const {
  if (metric == "accuracy") return accuracy;
  auto it = costs.find(metric);
  if (it == costs.end()) {
    std::string names;
    for (const auto& [name, value] : costs) names += (names.empty() ? "" : ", ") + name;
    throw std::out_of_range(fmt::format("no cost '{}' in the evaluation (it has: accuracy, {})", metric, names));
  }
  return it->second;
}

double Constraints::violation(const Evaluation& e) const {
  double v = 0.0;
  for (const auto& [name, budget] : budgets) {
    const double cost = e.metric(name);
    if (cost > budget) v += budget > 0.0 ? cost / budget - 1.0 : cost;
  }
  if (accuracy_floor && e.accuracy < *accuracy_floor) v += *accuracy_floor - e.accuracy;
  return v;
}

double ForgivingFactor::delta(double trial_cost) const {
  if (!reference_cost) throw std::logic_error("ForgivingFactor: reference cost not set");
  const double reference = *reference_cost * stress;
  if (trial_cost <= 0.0 || reference <= 0.0) throw std::invalid_argument("ForgivingFactor: costs must be positive");
  const double d = trial_cost < reference ? delta_p : delta_n;
  return d / 100.0 * std::log(reference / trial_cost) / std::log(rate);
}

double ForgivingFactor::score(double accuracy, double trial_cost) const { return accuracy * (1.0 + delta(trial_cost)); }

double Objective::raw_score(const Evaluation& e) const {
  return forgiving ? forgiving->score(e.accuracy, e.metric(forgiving->cost)) : e.accuracy;
}

double Objective::score(const Evaluation& e) const {
  const double raw = raw_score(e);
  const double v = constraints.violation(e);
  return v == 0.0 ? raw : std::min(raw, 0.0) - 2.0 - v;
}

}  // namespace bitlab::search
