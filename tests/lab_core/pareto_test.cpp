#include "lab/core/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bitlab::lab {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<size_t> front_of(const std::vector<ParetoPoint>& points) { return pareto_front(points); }

TEST(ParetoFront, KnownFrontSortedByCost) {
  // (accuracy, bits): 1 and 3 are beaten by 2 (better and cheaper) and 0 (cheaper, equal).
  std::vector<ParetoPoint> points{{0.80, 4}, {0.79, 6}, {0.90, 8}, {0.85, 16}, {0.70, 2}, {0.95, 32}};
  EXPECT_THAT(front_of(points), ElementsAre(4, 0, 2, 5));
}

TEST(ParetoFront, EmptyAndSingle) {
  EXPECT_THAT(front_of({}), IsEmpty());
  EXPECT_THAT(front_of({{0.5, 3}}), ElementsAre(0));
}

TEST(ParetoFront, TiesKeepOnlyTheBetterValue) {
  // Same cost: the more accurate wins. Same accuracy: the cheaper wins.
  EXPECT_THAT(front_of({{0.7, 4}, {0.8, 4}}), ElementsAre(1));
  EXPECT_THAT(front_of({{0.8, 8}, {0.8, 4}}), ElementsAre(1));
  EXPECT_THAT(front_of({{0.8, 8}, {0.7, 4}, {0.8, 4}}), ElementsAre(2));
}

TEST(ParetoFront, ExactDuplicatesAreAllOnTheFront) {
  EXPECT_THAT(front_of({{0.9, 8}, {0.7, 2}, {0.9, 8}, {0.6, 9}}), ElementsAre(1, 0, 2));
  EXPECT_THAT(front_of({{0.5, 1}, {0.5, 1}, {0.5, 1}}), ElementsAre(0, 1, 2));
}

TEST(ParetoFront, NonFinitePointsAreNeverOnIt) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THAT(front_of({{nan, 1}, {0.5, 2}, {inf, 3}, {0.9, nan}}), ElementsAre(1));
}

// Against the definition on random points, with many ties from a coarse grid.
TEST(ParetoFront, MatchesTheDefinitionOnRandomPoints) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> grid(0, 6);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<ParetoPoint> points(static_cast<size_t>(1 + trial % 15));
    for (auto& p : points) p = {grid(rng) / 6.0, static_cast<double>(grid(rng))};
    std::vector<size_t> expected;
    for (size_t i = 0; i < points.size(); ++i) {
      bool dominated = false;
      for (const auto& q : points) {
        const auto& p = points[i];
        dominated = dominated || (q.maximise >= p.maximise && q.minimise <= p.minimise &&
                                  (q.maximise > p.maximise || q.minimise < p.minimise));
      }
      if (!dominated) expected.push_back(i);
    }
    std::vector<size_t> front = pareto_front(points);
    std::vector<size_t> sorted = front;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(sorted, expected) << "trial " << trial;
    for (size_t k = 1; k < front.size(); ++k) {
      EXPECT_LE(points[front[k - 1]].minimise, points[front[k]].minimise);
      EXPECT_LE(points[front[k - 1]].maximise, points[front[k]].maximise);
    }
  }
}

}  // namespace
}  // namespace bitlab::lab
