#include "search/core/outputs.h"

#include <algorithm>
#include <stdexcept>

#include "common/atomic_file.h"
#include "lab/core/svg_plot.h"
#include "search/core/context.h"
#include "search/core/pareto.h"

namespace bitlab::search {

namespace {

int largest_budget(const TrialLog& log) {
  int budget = 0;
  for (const auto& t : log.trials()) budget = std::max(budget, t.budget);
  return budget;
}

}  // namespace

std::vector<Trial> front_trials(const TrialLog& log, const std::vector<MetricGoal>& goals) {
  const int budget = largest_budget(log);
  std::vector<Trial> candidates;
  std::vector<Point> points;
  for (const auto& t : log.trials()) {
    if (t.budget != budget || t.skipped) continue;
    try {
      points.push_back(objective_point(t.evaluation, goals));
    } catch (const std::out_of_range&) {
      continue;  // a trial without one of the front's metrics (e.g. an evaluator that failed to measure it)
    }
    candidates.push_back(t);
  }
  std::vector<Trial> front;
  for (std::size_t i : pareto_front(points)) front.push_back(candidates[i]);
  if (!goals.empty())
    std::stable_sort(front.begin(), front.end(), [&](const Trial& a, const Trial& b) {
      return a.evaluation.metric(goals[0].metric) < b.evaluation.metric(goals[0].metric);
    });
  return front;
}

nlohmann::json front_json(const SearchSpace& space, const std::vector<Trial>& front,
                          const std::vector<MetricGoal>& goals, const Objective& objective,
                          const std::vector<ReferencePoint>& references) {
  nlohmann::json j;
  j["objectives"] = nlohmann::json::array();
  for (const auto& g : goals) j["objectives"].push_back({{"metric", g.metric}, {"maximise", g.maximise}});
  j["trials"] = nlohmann::json::array();
  for (const auto& t : front) {
    nlohmann::json entry = to_json(space, t);
    entry["feasible"] = objective.constraints.feasible(t.evaluation);
    entry["score"] = objective.score(t.evaluation);
    entry["policy"] = to_policy_json(space, t.genes);
    j["trials"].push_back(std::move(entry));
  }
  if (!references.empty()) {
    j["references"] = nlohmann::json::array();
    for (const auto& r : references) j["references"].push_back(to_json(r));
  }
  return j;
}

std::string front_svg(const TrialLog& log, const std::vector<Trial>& front, const std::vector<MetricGoal>& goals,
                      const std::vector<ReferencePoint>& references) {
  lab::PlotOptions options;
  options.title = "Pareto front";
  // The cost on x, accuracy (or the second goal) on y, as accuracy-vs-size plots usually are.
  const std::string x_metric = goals.size() > 1 ? goals[1].metric : "accuracy";
  const std::string y_metric = goals.empty() ? "accuracy" : goals[0].metric;
  options.x_label = x_metric;
  options.y_label = y_metric;
  options.lines = false;
  lab::PlotSeries all{"all trials", {}}, best{"front", {}};
  const int budget = largest_budget(log);
  for (const auto& t : log.trials()) {
    if (t.budget != budget || t.skipped) continue;
    const auto& e = t.evaluation;
    if ((x_metric == "accuracy" || e.costs.count(x_metric)) && (y_metric == "accuracy" || e.costs.count(y_metric)))
      all.points.emplace_back(e.metric(x_metric), e.metric(y_metric));
  }
  for (const auto& t : front) best.points.emplace_back(t.evaluation.metric(x_metric), t.evaluation.metric(y_metric));
  std::sort(best.points.begin(), best.points.end(), [](const auto& a, const auto& b) { return a.x < b.x; });
  std::vector<lab::PlotSeries> series{all, best};
  for (const auto& r : references) {
    const auto& e = r.evaluation;
    if ((x_metric == "accuracy" || e.costs.count(x_metric)) && (y_metric == "accuracy" || e.costs.count(y_metric)))
      series.push_back({"flat " + r.reference.label(), {{e.metric(x_metric), e.metric(y_metric)}}});
  }
  return lab::render_line_plot(series, options);
}

std::vector<std::filesystem::path> write_outputs(const std::filesystem::path& directory, const SearchSpace& space,
                                                 const TrialLog& log, const Objective& objective,
                                                 const std::vector<MetricGoal>& goals,
                                                 const std::vector<ReferencePoint>& references) {
  std::filesystem::create_directories(directory);
  const auto front = front_trials(log, goals);
  std::vector<std::filesystem::path> written{directory / "front.json", directory / "front.svg"};
  write_file_atomically(written[0], front_json(space, front, goals, objective, references).dump(2) + "\n");
  write_file_atomically(written[1], front_svg(log, front, goals, references));
  if (auto best = best_trial(log, objective)) {
    written.push_back(directory / "policy.json");
    write_file_atomically(written.back(), to_policy_json(space, best->genes).dump(2) + "\n");
  }
  return written;
}

}  // namespace bitlab::search
