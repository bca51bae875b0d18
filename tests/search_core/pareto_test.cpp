#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "search/core/pareto.h"

namespace bitlab::search {
namespace {

TEST(Pareto, Dominance) {
  EXPECT_TRUE(dominates({1, 2}, {1, 3}));
  EXPECT_FALSE(dominates({1, 2}, {1, 2}));
  EXPECT_FALSE(dominates({1, 3}, {2, 2}));
}

TEST(Pareto, FrontAndSortOnAHandCase) {
  //   0 (1,5)  1 (2,3)  2 (3,4)  3 (4,1)  4 (5,5)  5 (2,3) duplicate of 1
  const std::vector<Point> p{{1, 5}, {2, 3}, {3, 4}, {4, 1}, {5, 5}, {2, 3}};
  EXPECT_EQ(pareto_front(p), (std::vector<std::size_t>{0, 1, 3, 5}));
  const auto fronts = non_dominated_sort(p);
  ASSERT_EQ(fronts.size(), 3u);
  EXPECT_EQ(fronts[0], (std::vector<std::size_t>{0, 1, 3, 5}));
  EXPECT_EQ(fronts[1], (std::vector<std::size_t>{2}));
  EXPECT_EQ(fronts[2], (std::vector<std::size_t>{4}));
}

TEST(Pareto, CrowdingDistanceByHand) {
  const std::vector<Point> p{{0, 4}, {1, 2}, {2, 1}, {4, 0}};
  const auto d = crowding_distance(p, {0, 1, 2, 3});
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(d[0], inf);
  EXPECT_EQ(d[3], inf);
  EXPECT_NEAR(d[1], (2.0 - 0.0) / 4.0 + (4.0 - 1.0) / 4.0, 1e-12);
  EXPECT_NEAR(d[2], (4.0 - 1.0) / 4.0 + (2.0 - 0.0) / 4.0, 1e-12);
}

TEST(Pareto, GenerationalDistance) {
  EXPECT_DOUBLE_EQ(generational_distance({{0, 1}, {1, 0}}, {{0, 1}, {1, 0}}), 0.0);
  EXPECT_NEAR(generational_distance({{0, 2}, {1, 0}}, {{0, 1}, {1, 0}}), std::sqrt(1.0) / 2.0, 1e-12);
}

}  // namespace
}  // namespace bitlab::search
