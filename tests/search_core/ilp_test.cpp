#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "hw/test_graphs.h"
#include "quant/random.h"
#include "search/core/hw_costs.h"
#include "search/core/ilp_allocation.h"
#include "search_core/search_test_util.h"

namespace bitlab::search {
namespace {

// The optimum by enumerating every combination (ties: the first in mixed-radix order).
std::optional<IlpSolution> brute_force(const IlpProblem& p) {
  const std::size_t layers = p.sensitivity.size();
  std::vector<int> choice(layers, 0);
  std::optional<IlpSolution> best;
  while (true) {
    double objective = 0.0;
    std::vector<double> costs(p.budgets.size(), 0.0);
    for (std::size_t l = 0; l < layers; ++l) {
      objective += p.sensitivity[l][static_cast<std::size_t>(choice[l])];
      for (std::size_t k = 0; k < p.budgets.size(); ++k) costs[k] += p.budgets[k].cost[l][static_cast<std::size_t>(choice[l])];
    }
    bool feasible = true;
    for (std::size_t k = 0; k < p.budgets.size(); ++k) feasible &= costs[k] <= p.budgets[k].limit + 1e-9;
    if (feasible && (!best || objective < best->objective - 1e-12)) best = IlpSolution{choice, objective, costs};
    std::size_t l = 0;
    while (l < layers && ++choice[l] == static_cast<int>(p.sensitivity[l].size())) choice[l++] = 0;
    if (l == layers) break;
  }
  return best;
}

// Four layers at 2, 4 or 8 bits; sensitivity falls with bits, cost = params × bits.
IlpProblem toy(double limit) {
  const double params[] = {100, 400, 50, 800};
  const double trace[] = {5.0, 1.0, 9.0, 0.5};
  IlpProblem p;
  IlpProblem::Budget b{"parameter_bits", {}, limit};
  for (int l = 0; l < 4; ++l) {
    std::vector<double> s, c;
    for (int bits : {2, 4, 8}) {
      s.push_back(trace[l] * params[l] * std::pow(2.0, -2.0 * bits));  // perturbation ∝ step²
      c.push_back(params[l] * bits);
    }
    p.sensitivity.push_back(s);
    b.cost.push_back(c);
  }
  p.budgets.push_back(b);
  return p;
}

TEST(IlpAllocation, ToyProblemMatchesEnumerationAndMeetsTheBudget) {
  // From everything at 2 bits (2700) to everything at 8 bits (10800).
  for (double limit : {2700.0, 3000.0, 4000.0, 4600.0, 5000.0, 6200.0, 8000.0, 10800.0}) {
    const auto p = toy(limit);
    const auto ilp = solve_bit_allocation(p);
    const auto expected = brute_force(p);
    ASSERT_TRUE(ilp && expected) << limit;
    EXPECT_NEAR(ilp->objective, expected->objective, 1e-9) << limit;
    EXPECT_LE(ilp->costs[0], limit) << limit;
  }
}

TEST(IlpAllocation, UsesABudgetThatFitsExactly) {
  // 2700 at 2 bits; raising layer 0 to 8 bits costs 600 more, layer 2 to 8 bits 300,
  // layer 1 to 4 bits 800. A budget of exactly 3600 admits {l0 8, l2 8} (cost 3600),
  // the most sensitivity-reducing way to spend 900 extra bits.
  const auto p = toy(3600.0);
  const auto ilp = solve_bit_allocation(p);
  ASSERT_TRUE(ilp);
  EXPECT_EQ(ilp->choice, (std::vector<int>{2, 0, 2, 0}));
  EXPECT_DOUBLE_EQ(ilp->costs[0], 3600.0);
  EXPECT_NEAR(ilp->objective, brute_force(p)->objective, 1e-12);
}

TEST(IlpAllocation, ReportsInfeasibleBudgets) {
  EXPECT_FALSE(solve_bit_allocation(toy(2699.0)));
}

TEST(IlpAllocation, RandomProblemsWithTwoBudgetsMatchEnumeration) {
  quant::Generator g(42);
  for (int trial = 0; trial < 40; ++trial) {
    IlpProblem p;
    const int layers = 2 + static_cast<int>(quant::uniform_below(g, 4));
    p.budgets = {{"a", {}, 0.0}, {"b", {}, 0.0}};
    double max_a = 0.0, max_b = 0.0;
    for (int l = 0; l < layers; ++l) {
      const int options = 1 + static_cast<int>(quant::uniform_below(g, 4));
      std::vector<double> s, a, b;
      for (int j = 0; j < options; ++j) {
        s.push_back(std::round(100.0 * quant::uniform_unit(g)));
        a.push_back(std::round(50.0 * quant::uniform_unit(g)));
        b.push_back(std::round(50.0 * quant::uniform_unit(g)));
      }
      max_a += *std::max_element(a.begin(), a.end());
      max_b += *std::max_element(b.begin(), b.end());
      p.sensitivity.push_back(s);
      p.budgets[0].cost.push_back(a);
      p.budgets[1].cost.push_back(b);
    }
    p.budgets[0].limit = std::round(max_a * quant::uniform_unit(g));
    p.budgets[1].limit = std::round(max_b * quant::uniform_unit(g));
    const auto ilp = solve_bit_allocation(p);
    const auto expected = brute_force(p);
    ASSERT_EQ(ilp.has_value(), expected.has_value()) << "trial " << trial;
    if (!ilp) continue;
    EXPECT_NEAR(ilp->objective, expected->objective, 1e-9) << "trial " << trial;
    EXPECT_LE(ilp->costs[0], p.budgets[0].limit);
    EXPECT_LE(ilp->costs[1], p.budgets[1].limit);
  }
}

TEST(HawqSensitivity, ByHand) {
  const std::vector<float> w{1.0f, -0.5f, 0.25f, 0.0f};
  // 2 bits: levels {−1, 0, 1}, scale 1; −0.5 rounds to even (0): 0.25 + 0.0625.
  EXPECT_NEAR(hawq_sensitivity(2.0, w, 2), 2.0 * 0.3125, 1e-12);
  // 3 bits: scale 1/3; −0.5 → −2/3, 0.25 → 1/3.
  EXPECT_NEAR(hawq_sensitivity(1.0, w, 3), 1.0 / 36.0 + 1.0 / 144.0, 1e-12);
  EXPECT_EQ(hawq_sensitivity(1.0, w, 32), 0.0);
}

TEST(Hawq, PicksTheLeastSensitiveAllocationUnderAWeightMemoryBudget) {
  SearchSpace space;
  for (const char* name : {"conv1", "conv2", "fc"}) space.layers.push_back({name, {2, 4, 8}, "", {}});
  space.finalize();
  const auto options = layer_options(space);
  std::vector<std::vector<double>> sensitivity = {{9, 3, 1}, {40, 5, 0.5}, {6, 2, 1}};
  HwCostModel costs(hw::testing::small_net(), {});
  // Enumerate the 27 candidates with their true costs.
  double best = std::numeric_limits<double>::infinity();
  const double budget = 230.0;  // bytes
  for (std::uint64_t i = 0; i < space.size(); ++i) {
    const Genes g = space.from_index(i);
    if (costs.costs(to_assignment(space, g)).at("weight_bytes") > budget) continue;
    double s = 0.0;
    for (std::size_t l = 0; l < 3; ++l) s += sensitivity[l][static_cast<std::size_t>(g[l])];
    best = std::min(best, s);
  }
  ASSERT_TRUE(std::isfinite(best));

  testing::FunctionEvaluator eval([](const SearchSpace&, const Genes&, int) { return Evaluation{0.5, {}, 0.0}; });
  TrialLog log;
  Objective objective;
  objective.constraints.budgets = {{"weight_bytes", budget}};
  SearchContext ctx(space, objective, eval, &costs, log, testing::quiet(10));
  Hawq hawq({1, sensitivity});
  hawq.run(ctx);
  ASSERT_TRUE(hawq.chosen());
  const Genes& g = *hawq.chosen();
  double s = 0.0;
  for (std::size_t l = 0; l < 3; ++l) s += sensitivity[l][static_cast<std::size_t>(g[l])];
  EXPECT_DOUBLE_EQ(s, best);
  ASSERT_EQ(log.trials().size(), 1u);
  EXPECT_LE(log.trials()[0].evaluation.costs.at("weight_bytes"), budget);
  EXPECT_FALSE(log.trials()[0].skipped);
}

}  // namespace
}  // namespace bitlab::search
