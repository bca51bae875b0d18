#include <gtest/gtest.h>

#include <cmath>

#include "search/core/objective.h"

namespace bitlab::search {
namespace {

TEST(ForgivingFactor, MatchesHandComputedValues) {
  ForgivingFactor f;
  f.delta_p = 8.0;
  f.delta_n = 8.0;
  f.rate = 2.0;
  f.reference_cost = 1000.0;
  EXPECT_NEAR(f.delta(500.0), 0.08, 1e-12);    // halved: +delta_p %
  EXPECT_NEAR(f.delta(2000.0), -0.08, 1e-12);  // doubled: −delta_n %
  EXPECT_NEAR(f.delta(1000.0), 0.0, 1e-12);
  EXPECT_NEAR(f.score(0.9, 250.0), 0.9 * 1.16, 1e-12);  // two halvings

  f.delta_p = 10.0;
  f.delta_n = 5.0;
  f.rate = 4.0;
  EXPECT_NEAR(f.delta(250.0), 0.10, 1e-12);
  EXPECT_NEAR(f.delta(4000.0), -0.05, 1e-12);
  EXPECT_NEAR(f.delta(2000.0), -0.05 * std::log(2.0) / std::log(4.0), 1e-12);

  f.stress = 0.5;  // the reference shrinks to 500
  EXPECT_NEAR(f.delta(500.0), 0.0, 1e-12);
  EXPECT_NEAR(f.delta(125.0), 0.10, 1e-12);
}

TEST(ForgivingFactor, NeedsAReference) {
  ForgivingFactor f;
  EXPECT_THROW(static_cast<void>(f.delta(1.0)), std::logic_error);
}

TEST(Objective, ScoresAccuracyOrForgivingFactor) {
  Evaluation e{0.9, {{"total_bits", 500.0}}, 0.0};
  Objective plain;
  EXPECT_DOUBLE_EQ(plain.score(e), 0.9);
  Objective aq;
  aq.forgiving = ForgivingFactor{};
  aq.forgiving->reference_cost = 1000.0;
  EXPECT_NEAR(aq.score(e), 0.9 * 1.08, 1e-12);
}

TEST(Constraints, ViolationsAddUpAndInfeasibleScoresRankBelowFeasible) {
  Constraints c;
  c.budgets = {{"bops", 100.0}, {"weight_bytes", 10.0}};
  c.accuracy_floor = 0.8;
  EXPECT_DOUBLE_EQ(c.violation({0.9, {{"bops", 100.0}, {"weight_bytes", 10.0}}, 0.0}), 0.0);
  EXPECT_NEAR(c.violation({0.7, {{"bops", 150.0}, {"weight_bytes", 10.0}}, 0.0}), 0.5 + 0.1, 1e-12);
  Objective o;
  o.constraints = c;
  const double feasible = o.score({0.81, {{"bops", 1.0}, {"weight_bytes", 1.0}}, 0.0});
  const double slightly = o.score({0.99, {{"bops", 101.0}, {"weight_bytes", 1.0}}, 0.0});
  const double badly = o.score({0.99, {{"bops", 300.0}, {"weight_bytes", 1.0}}, 0.0});
  EXPECT_GT(feasible, slightly);
  EXPECT_GT(slightly, badly);
  EXPECT_THROW(static_cast<void>(c.violation({0.9, {}, 0.0})), std::out_of_range);
}

}  // namespace
}  // namespace bitlab::search
