#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "search/core/nsga2.h"
#include "search/core/outputs.h"
#include "search_core/search_test_util.h"

namespace bitlab::search {
namespace {

// ZDT1 (Zitzler, Deb & Thiele 2000) over a grid: x_d = choice / (levels − 1).
// f1 = x1, g = 1 + 9 Σ_{d≥2} x_d / (n − 1), f2 = g (1 − √(f1/g)); the Pareto
// front is g = 1 (x_2.. = 0): f2 = 1 − √f1, reachable on the grid.
constexpr int kLevels = 32;
Evaluation zdt1(const SearchSpace& space, const Genes& genes, int) {
  const double n = static_cast<double>(space.dimensions());
  auto x = [&](std::size_t d) { return genes[d] / double(kLevels - 1); };
  double sum = 0.0;
  for (std::size_t d = 1; d < space.dimensions(); ++d) sum += x(d);
  const double f1 = x(0), g = 1.0 + 9.0 * sum / (n - 1.0);
  return {0.0, {{"f1", f1}, {"f2", g * (1.0 - std::sqrt(f1 / g))}}, 0.0};
}

SearchSpace grid_space(int dims) {
  std::vector<int> choices;
  for (int i = 1; i <= kLevels; ++i) choices.push_back(i);  // widths only label the levels
  return testing::weight_space(dims, choices);
}

std::vector<Point> true_front() {
  std::vector<Point> front;
  for (int i = 0; i <= 1000; ++i) front.push_back({i / 1000.0, 1.0 - std::sqrt(i / 1000.0)});
  return front;
}

TEST(Nsga2, ConvergesToTheZdt1Front) {
  const SearchSpace space = grid_space(8);
  testing::FunctionEvaluator eval(zdt1);
  TrialLog log;
  Nsga2Options o;
  o.population = 40;
  o.generations = 120;
  o.objectives = {{"f1", false}, {"f2", false}};
  SearchContext ctx(space, {}, eval, nullptr, log, testing::quiet(1000000, 3));
  Nsga2 nsga(o);
  nsga.run(ctx);
  std::vector<Point> final_front;
  for (const auto& genes : nsga.population()) {
    const auto e = zdt1(space, genes, 1);
    final_front.push_back({e.costs.at("f1"), e.costs.at("f2")});
  }
  const double gd = generational_distance(final_front, true_front());
  std::printf("ZDT1 (8 variables, 32 levels): generational distance of the final population %.5f\n", gd);
  EXPECT_LT(gd, 0.001) << "generational distance " << gd;
  // Spread: the population covers most of f1's range, not one corner.
  double low = 1.0, high = 0.0;
  for (const auto& p : final_front) {
    low = std::min(low, p[0]);
    high = std::max(high, p[0]);
  }
  EXPECT_LT(low, 0.1);
  EXPECT_GT(high, 0.8);
  // The front of all trials (what front.json reports) is at least as close.
  const auto front = front_trials(log, o.objectives);
  std::vector<Point> logged;
  for (const auto& t : front) logged.push_back({t.evaluation.costs.at("f1"), t.evaluation.costs.at("f2")});
  EXPECT_LT(generational_distance(logged, true_front()), 0.01);
}

TEST(Nsga2, RespectsConstraintsByConstrainedDomination) {
  const SearchSpace space = grid_space(6);
  testing::FunctionEvaluator eval(zdt1);
  TrialLog log;
  Nsga2Options o;
  o.population = 30;
  o.generations = 60;
  o.objectives = {{"f1", false}, {"f2", false}};
  Objective objective;
  objective.constraints.budgets = {{"f2", 0.5}};
  SearchContext ctx(space, objective, eval, nullptr, log, testing::quiet(1000000, 5));
  Nsga2 nsga(o);
  nsga.run(ctx);
  for (const auto& genes : nsga.population()) EXPECT_LE(zdt1(space, genes, 1).costs.at("f2"), 0.5);
}

TEST(Nsga2, StopsAtTheTrialBudget) {
  const SearchSpace space = grid_space(4);
  testing::FunctionEvaluator eval(zdt1);
  TrialLog log;
  Nsga2Options o;
  o.objectives = {{"f1", false}, {"f2", false}};
  SearchContext ctx(space, {}, eval, nullptr, log, testing::quiet(37, 5));
  Nsga2 nsga(o);
  nsga.run(ctx);
  EXPECT_EQ(ctx.requests(), 37);
}

}  // namespace
}  // namespace bitlab::search
