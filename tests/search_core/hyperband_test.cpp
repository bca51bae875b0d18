#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "search/core/hyperband.h"
#include "search_core/search_test_util.h"

namespace bitlab::search {
namespace {

// One knob of 27 "widths" 1..27: quality q = width / 27; accuracy after b
// epochs approaches q, with a rank-mixing disturbance that fades with b:
//   acc = q (1 − e^(−b/3)) + 0.3 sin(7 · width) / b².
Evaluation learning_curve(const SearchSpace& space, const Genes& genes, int budget) {
  const double width = space.knobs[0].bits[static_cast<std::size_t>(genes[0])];
  const double b = budget;
  return {width / 27.0 * (1.0 - std::exp(-b / 3.0)) + 0.3 * std::sin(7.0 * width) / (b * b), {}, 0.0};
}

SearchSpace ladder() {
  std::vector<int> widths;
  for (int i = 1; i <= 27; ++i) widths.push_back(i);
  return testing::weight_space(1, widths);
}

TEST(SuccessiveHalving, KeepsTheTopThirdAtEachRungAndTheBestSurvives) {
  const SearchSpace space = ladder();
  testing::FunctionEvaluator eval(learning_curve);
  TrialLog log;
  SearchContext ctx(space, {}, eval, nullptr, log, testing::quiet(1000));
  std::vector<Genes> all;
  for (int i = 0; i < 27; ++i) all.push_back({i});
  const auto rungs = successive_halving(ctx, all, 1, 27, 3);
  ASSERT_EQ(rungs.size(), 4u);
  const std::size_t sizes[] = {27, 9, 3, 1};
  const int budgets[] = {1, 3, 9, 27};
  for (std::size_t r = 0; r < rungs.size(); ++r) {
    EXPECT_EQ(rungs[r].candidates.size(), sizes[r]);
    EXPECT_EQ(rungs[r].budget, budgets[r]);
  }
  for (std::size_t r = 0; r + 1 < rungs.size(); ++r) {
    // The survivors are exactly the top ⌊n/3⌋ of the rung by score.
    std::vector<double> sorted = rungs[r].scores;
    std::sort(sorted.rbegin(), sorted.rend());
    const double threshold = sorted[rungs[r + 1].candidates.size() - 1];
    for (const auto& g : rungs[r + 1].candidates) {
      const auto it = std::find(rungs[r].candidates.begin(), rungs[r].candidates.end(), g);
      ASSERT_NE(it, rungs[r].candidates.end());
      EXPECT_GE(rungs[r].scores[static_cast<std::size_t>(it - rungs[r].candidates.begin())], threshold);
    }
  }
  // At one epoch the disturbance hides the best width, yet it survives to the end.
  const auto& first = rungs[0];
  const auto best_at_one = std::max_element(first.scores.begin(), first.scores.end()) - first.scores.begin();
  EXPECT_NE(first.candidates[static_cast<std::size_t>(best_at_one)], (Genes{26}));
  EXPECT_EQ(rungs.back().candidates[0], (Genes{26}));
  // 27 + 9 + 3 + 1 trials; none evaluated twice.
  EXPECT_EQ(eval.calls, 40);
}

TEST(Hyperband, RunsEveryBracketWithTheRightBudgets) {
  const SearchSpace space = ladder();
  testing::FunctionEvaluator eval(learning_curve);
  TrialLog log;
  SearchContext ctx(space, {}, eval, nullptr, log, testing::quiet(1000));
  HyperbandOptions o;
  o.min_budget = 1;
  o.max_budget = 9;
  o.eta = 3;
  Hyperband(o).run(ctx);
  // s_max = 2. Brackets: s=2: 9 @1, 3 @3, 1 @9; s=1: 5 @3, 1 @9; s=0: 3 @9.
  std::map<int, int> per_budget;
  for (const auto& t : log.trials()) ++per_budget[t.budget];
  EXPECT_EQ(per_budget[1], 9);
  EXPECT_EQ(per_budget[3], 3 + 5);
  EXPECT_EQ(per_budget[9], 1 + 1 + 3);
}

}  // namespace
}  // namespace bitlab::search
