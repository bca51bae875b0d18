#include "quant/codebook.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

#include "quant/random.h"

namespace bitlab::quant {
namespace {

using ::testing::ElementsAre;

TEST(KMeans, FindsTwoObviousClusters) {
  const std::vector<float> data = {1, 2, 3, 11, 12, 13};
  const KMeansResult result = kmeans_1d(data, {.bits = 1, .seed = 5});
  EXPECT_THAT(result.centroids, ElementsAre(2.0, 12.0));
  EXPECT_TRUE(result.converged);
  EXPECT_DOUBLE_EQ(result.distortion_history.back(), 4.0);  // (1 + 0 + 1) per cluster
}

TEST(KMeans, ReturnsFewerCentroidsWhenTheDataHasFewerDistinctValues) {
  const std::vector<float> data = {1, 1, 2, 1, 2};
  const KMeansResult result = kmeans_1d(data, {.bits = 3});
  EXPECT_THAT(result.centroids, ElementsAre(1.0, 2.0));
  EXPECT_EQ(result.distortion_history.back(), 0.0);
}

TEST(KMeans, LloydImprovesOnABadStartAndStopsAtAFixedPoint) {
  // Uniform data: whatever k-means++ picks, Lloyd's must reach quantiles-like
  // centroids with much lower distortion than the initial assignment.
  std::vector<float> data;
  for (int i = 0; i < 400; ++i) data.push_back(static_cast<float>(i) / 400.0f);
  const KMeansResult result = kmeans_1d(data, {.bits = 2, .max_iterations = 200, .seed = 1});
  ASSERT_TRUE(result.converged);
  EXPECT_GE(result.distortion_history.size(), 2u);
  EXPECT_EQ(result.iterations, static_cast<int>(result.distortion_history.size()));
  ASSERT_EQ(result.centroids.size(), 4u);
  // Optimal 4-level quantiser of U[0,1) has centroids near 1/8, 3/8, 5/8, 7/8.
  for (std::size_t c = 0; c < 4; ++c) EXPECT_NEAR(result.centroids[c], (2.0 * c + 1) / 8.0, 0.02);
}

TEST(KMeans, StopsAfterMaxIterations) {
  std::vector<float> data;
  for (int i = 0; i < 400; ++i) data.push_back(static_cast<float>(i * i % 97));
  const KMeansResult result = kmeans_1d(data, {.bits = 3, .max_iterations = 1, .seed = 3});
  EXPECT_EQ(result.iterations, 1);
  EXPECT_EQ(result.distortion_history.size(), 1u);
  EXPECT_FALSE(result.converged);
}

TEST(KMeans, RejectsBadInputs) {
  const std::vector<float> empty;
  const std::vector<float> with_inf = {1.0f, std::numeric_limits<float>::infinity()};
  const std::vector<float> fine = {1.0f};
  EXPECT_THROW((void)kmeans_1d(empty, {}), std::invalid_argument);
  EXPECT_THROW((void)kmeans_1d(with_inf, {}), std::invalid_argument);
  EXPECT_THROW((void)kmeans_1d(fine, {.bits = 0}), std::invalid_argument);
  EXPECT_THROW((void)kmeans_1d(fine, {.bits = 17}), std::invalid_argument);
  EXPECT_THROW((void)kmeans_1d(fine, {.max_iterations = 0}), std::invalid_argument);
}

TEST(KMeans, SameSeedSameResultDifferentSeedsExploreDifferentStarts) {
  Generator source(77);
  std::vector<float> data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<float>(uniform_unit(source) * 10.0));

  const auto first = kmeans_1d(data, {.bits = 4, .max_iterations = 3, .seed = 123});
  const auto second = kmeans_1d(data, {.bits = 4, .max_iterations = 3, .seed = 123});
  EXPECT_EQ(first.centroids, second.centroids);  // bitwise: vector<double> ==
  EXPECT_EQ(first.distortion_history, second.distortion_history);

  // If the seed were ignored, all of these would coincide.
  int differing = 0;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    const auto other = kmeans_1d(data, {.bits = 4, .max_iterations = 3, .seed = seed});
    if (other.centroids != first.centroids) ++differing;
  }
  EXPECT_GT(differing, 0);
}

// Golden values: the draws (quant/random.h), the k-means++ scan and the sum
// order are all specified, so these bits must come out on every platform and
// standard library. A change here is a change of the documented algorithm.
TEST(KMeans, GoldenResultIsBitIdenticalAcrossPlatforms) {
  std::vector<float> data;
  for (int i = 0; i < 100; ++i) data.push_back(static_cast<float>((i * 37) % 100) / 10.0f);
  const auto first_update = kmeans_1d(data, {.bits = 2, .max_iterations = 1, .seed = 42});
  EXPECT_THAT(first_update.centroids,
              ElementsAre(0x1.a666665d2d2d3p+0, 0x1.2999999d89d8ap+2, 0x1.ccccccccccccdp+2, 0x1.2666666666666p+3));
  const auto converged = kmeans_1d(data, {.bits = 2, .max_iterations = 100, .seed = 42});
  EXPECT_EQ(converged.iterations, 11);
  EXPECT_THAT(converged.centroids,
              ElementsAre(0x1.4cccccc12f685p+0, 0x1.f9999989d89d9p+1, 0x1.9cccccd555555p+2, 0x1.1999999bd37a7p+3));
}

TEST(Codebook, EncodesToTheNearestCentroidWithTiesToTheLowerIndex) {
  const Codebook codebook({-1.0f, 1.0f, 4.0f}, 2);
  EXPECT_EQ(codebook.encode(0.0f), 0u);  // tie between -1 and 1
  EXPECT_EQ(codebook.encode(0.001f), 1u);
  EXPECT_EQ(codebook.encode(2.5f), 1u);  // tie between 1 and 4
  EXPECT_EQ(codebook.encode(2.51f), 2u);
  EXPECT_EQ(codebook.encode(-50.0f), 0u);
  EXPECT_EQ(codebook.encode(50.0f), 2u);
  EXPECT_EQ(codebook.quantise(3.0f), 4.0f);
  const std::vector<float> values = {-3.0f, 0.9f, 9.0f};
  EXPECT_THAT(codebook.encode(values), ElementsAre(0u, 1u, 2u));
  const std::vector<std::uint32_t> codes = {2, 0};
  EXPECT_THAT(codebook.decode(codes), ElementsAre(4.0f, -1.0f));
  EXPECT_THROW((void)codebook.decode(3u), std::invalid_argument);
  EXPECT_THROW((void)codebook.encode(std::numeric_limits<float>::quiet_NaN()), std::invalid_argument);
}

TEST(Codebook, RejectsMalformedCentroidLists) {
  EXPECT_THROW(Codebook({}, 2), std::invalid_argument);
  EXPECT_THROW(Codebook({2.0f, 1.0f}, 2), std::invalid_argument);
  EXPECT_THROW(Codebook({1.0f, 1.0f}, 2), std::invalid_argument);
  EXPECT_THROW(Codebook({1.0f, 2.0f, 3.0f}, 1), std::invalid_argument);
  EXPECT_THROW(Codebook({std::numeric_limits<float>::infinity()}, 1), std::invalid_argument);
  EXPECT_THROW(Codebook({1.0f}, 0), std::invalid_argument);
}

TEST(Codebook, LearnRoundsCentroidsToFloat) {
  const std::vector<float> data = {0.0f, 0.1f, 0.2f, 5.0f, 5.5f};
  const Codebook codebook = Codebook::learn(data, {.bits = 1, .seed = 9});
  EXPECT_EQ(codebook.bits(), 1);
  ASSERT_EQ(codebook.size(), 2u);
  EXPECT_FLOAT_EQ(codebook.centroids()[0], 0.1f);
  EXPECT_FLOAT_EQ(codebook.centroids()[1], 5.25f);
}

// ---- properties ------------------------------------------------------------

std::vector<float> arbitrary_data() {
  // A coarse grid makes duplicates and exact ties common.
  const auto raw = *rc::gen::nonEmpty(rc::gen::container<std::vector<int>>(rc::gen::inRange(-500, 500)));
  std::vector<float> data;
  for (const int r : raw) data.push_back(static_cast<float>(r) / 8.0f);
  return data;
}

RC_GTEST_PROP(CodebookProperty, LloydNeverIncreasesTheDistortion, (std::uint64_t seed)) {
  const auto data = arbitrary_data();
  const int bits = *rc::gen::inRange(1, 5);
  const KMeansResult result = kmeans_1d(data, {.bits = bits, .max_iterations = 50, .seed = seed});
  const auto& history = result.distortion_history;
  RC_ASSERT(!history.empty());
  for (std::size_t i = 1; i < history.size(); ++i) {
    // Only float64 summation noise may go the wrong way.
    RC_ASSERT(history[i] <= history[i - 1] * (1.0 + 1e-12) + 1e-12);
  }
}

RC_GTEST_PROP(CodebookProperty, IsDeterministicGivenTheSeed, (std::uint64_t seed)) {
  const auto data = arbitrary_data();
  const int bits = *rc::gen::inRange(1, 5);
  const auto first = kmeans_1d(data, {.bits = bits, .seed = seed});
  const auto second = kmeans_1d(data, {.bits = bits, .seed = seed});
  RC_ASSERT(first.centroids == second.centroids);
  RC_ASSERT(first.distortion_history == second.distortion_history);
  RC_ASSERT(first.iterations == second.iterations);
}

RC_GTEST_PROP(CodebookProperty, CentroidsAreSortedDistinctAndInsideTheData, (std::uint64_t seed)) {
  const auto data = arbitrary_data();
  const int bits = *rc::gen::inRange(1, 5);
  const auto centroids = kmeans_1d(data, {.bits = bits, .seed = seed}).centroids;
  auto distinct = data;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  RC_ASSERT(!centroids.empty());
  RC_ASSERT(centroids.size() <= std::min(distinct.size(), std::size_t{1} << bits));
  RC_ASSERT(std::adjacent_find(centroids.begin(), centroids.end(), std::greater_equal<>()) == centroids.end());
  RC_ASSERT(centroids.front() >= distinct.front());
  RC_ASSERT(centroids.back() <= distinct.back());
}

RC_GTEST_PROP(CodebookProperty, EncodeIsTheFirstArgminOfTheDistance, (std::uint64_t seed)) {
  const auto data = arbitrary_data();
  const Codebook codebook = Codebook::learn(data, {.bits = *rc::gen::inRange(1, 5), .seed = seed});
  const float x = static_cast<float>(*rc::gen::inRange(-600, 600)) / 8.0f;
  const auto& c = codebook.centroids();
  std::size_t best = 0;
  for (std::size_t i = 1; i < c.size(); ++i) {
    if (std::fabs(static_cast<double>(c[i]) - x) < std::fabs(static_cast<double>(c[best]) - x)) best = i;
  }
  RC_ASSERT(codebook.encode(x) == best);
}

}  // namespace
}  // namespace bitlab::quant
