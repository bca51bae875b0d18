#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "common/error.h"
#include "search/core/hyperband.h"
#include "search/core/search_config.h"
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

// Counts the epochs each candidate trains: a fresh evaluation trains `budget`,
// a continued one only budget − from_budget. Its accuracy is learning_curve's
// at the candidate's total epochs, so a continued and a fresh trial agree.
class EpochCountingEvaluator : public Evaluator {
 public:
  Evaluation evaluate(const SearchSpace& space, const Genes& genes, int budget) override {
    count(space, genes, budget, 0);
    return learning_curve(space, genes, budget);
  }
  Evaluation evaluate_continued(const SearchSpace& space, const Genes& genes, int from_budget, int budget) override {
    EXPECT_EQ(trained[canonical_key(space, genes)], from_budget) << "continued a trial it never trained";
    count(space, genes, budget, from_budget);
    ++continued;
    return learning_curve(space, genes, budget);
  }
  std::map<std::string, int> trained;  // epochs per candidate key
  int calls = 0;
  int continued = 0;
  int fail_after = -1;  // ≥ 0: throw on call fail_after + 1, like a killed search

 private:
  void count(const SearchSpace& space, const Genes& genes, int budget, int from_budget) {
    if (fail_after >= 0 && calls >= fail_after) throw std::runtime_error("killed");
    ++calls;
    trained[canonical_key(space, genes)] += budget - from_budget;
  }
};

// The largest budget each candidate reached in the log.
std::map<std::string, int> max_budgets(const TrialLog& log) {
  std::map<std::string, int> m;
  for (const auto& t : log.trials()) m[t.key] = std::max(m[t.key], t.budget);
  return m;
}

TEST(SuccessiveHalving, PromotedCandidatesContinueInsteadOfRetraining) {
  const SearchSpace space = ladder();
  std::vector<Genes> all;
  for (int i = 0; i < 27; ++i) all.push_back({i});
  for (const bool continued : {true, false}) {
    EpochCountingEvaluator eval;
    TrialLog log;
    SearchContext ctx(space, {}, eval, nullptr, log, testing::quiet(1000));
    const auto rungs = successive_halving(ctx, all, 1, 27, 3, continued);
    ASSERT_EQ(rungs.size(), 4u);
    EXPECT_EQ(rungs.back().candidates[0], (Genes{26}));  // the same winner either way
    const std::string winner = canonical_key(space, rungs.back().candidates[0]);
    // Continued: 27 epochs for the winner (its max rung), not 1 + 3 + 9 + 27 = 40.
    EXPECT_EQ(eval.trained[winner], continued ? 27 : 40);
    EXPECT_EQ(eval.continued, continued ? 9 + 3 + 1 : 0);
    int total = 0;
    for (const auto& [key, epochs] : eval.trained) total += epochs;
    // 27·1 + 9·3 + 3·9 + 1·27 from scratch; continued: each candidate only up to its last rung.
    EXPECT_EQ(total, continued ? 18 * 1 + 6 * 3 + 2 * 9 + 1 * 27 : 27 + 27 + 27 + 27);
  }
}

TEST(Hyperband, ContinuedCandidatesTrainExactlyTheirLargestBudget) {
  const SearchSpace space = ladder();
  EpochCountingEvaluator eval;
  TrialLog log;
  SearchContext ctx(space, {}, eval, nullptr, log, testing::quiet(1000));
  Hyperband(HyperbandOptions{1, 9, 3, true, true}).run(ctx);
  EXPECT_EQ(log.trials().size(), 9u + 3 + 1 + 5 + 1 + 3);
  EXPECT_EQ(eval.continued, 3 + 1 + 1);
  for (const auto& [key, budget] : max_budgets(log)) EXPECT_EQ(eval.trained[key], budget) << key;
}

// Killed after k evaluations (continued ones included) and rerun: the rerun
// evaluates only the missing trials, continues from logged rungs, every
// candidate still trains exactly its largest budget over both runs, and the
// trials are those of an uninterrupted search, in order.
TEST(Resume, HyperbandWithContinuedTrialsReplaysToTheSameTrials) {
  const SearchSpace space = ladder();
  TrialLog reference;
  {
    EpochCountingEvaluator eval;
    SearchContext ctx(space, {}, eval, nullptr, reference, testing::quiet(1000, 5));
    Hyperband().run(ctx);
  }
  for (const int kill_after : {4, 10, 12, 17}) {
    std::string name = "bitlab-hyperband-resume-";  // not "..." + to_string: GCC 12 warns falsely (-Wrestrict)
    name += std::to_string(kill_after);
    const auto dir = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    EpochCountingEvaluator killed;
    killed.fail_after = kill_after;
    {
      TrialLog log(dir / "trials.jsonl", space);
      SearchContext ctx(space, {}, killed, nullptr, log, testing::quiet(1000, 5));
      EXPECT_THROW(Hyperband().run(ctx), std::runtime_error);
    }
    EpochCountingEvaluator resumed;
    resumed.trained = killed.trained;  // the state the killed run's trials left behind
    TrialLog log(dir / "trials.jsonl", space);
    ASSERT_EQ(log.trials().size(), static_cast<std::size_t>(kill_after));
    SearchContext ctx(space, {}, resumed, nullptr, log, testing::quiet(1000, 5));
    Hyperband().run(ctx);
    EXPECT_EQ(resumed.calls, static_cast<int>(reference.trials().size()) - kill_after);
    ASSERT_EQ(log.trials().size(), reference.trials().size());
    for (std::size_t i = 0; i < log.trials().size(); ++i) {
      EXPECT_EQ(log.trials()[i].key, reference.trials()[i].key);
      EXPECT_EQ(log.trials()[i].budget, reference.trials()[i].budget);
      EXPECT_DOUBLE_EQ(log.trials()[i].evaluation.accuracy, reference.trials()[i].evaluation.accuracy);
    }
    for (const auto& [key, budget] : max_budgets(log)) EXPECT_EQ(resumed.trained[key], budget) << key;
    std::filesystem::remove_all(dir);
  }
}

TEST(Hyperband, ContinueTrialsIsAStrategyOption) {
  auto j = nlohmann::json::parse(R"({"space": {"layers": [{"name": "l0"}]},
                                     "strategy": {"name": "hyperband", "continue_trials": false}})");
  EXPECT_NO_THROW(parse_search_config(j, "search.json"));
  j["strategy"]["continue_trials"] = "yes";
  EXPECT_THROW(parse_search_config(j, "search.json"), ConfigError);
}

}  // namespace
}  // namespace bitlab::search
