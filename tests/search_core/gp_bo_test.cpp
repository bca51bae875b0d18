#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>

#include "search/core/gaussian_process.h"
#include "search/core/gp_bo.h"
#include "search/core/random_search.h"
#include "search_core/search_test_util.h"

namespace bitlab::search {
namespace {

TEST(GaussianProcess, InterpolatesNoiselessDataAndIsUnsureFarAway) {
  Eigen::MatrixXd x(5, 1);
  x << 0.0, 0.25, 0.5, 0.75, 1.0;
  Eigen::VectorXd y(5);
  for (int i = 0; i < 5; ++i) y(i) = std::sin(3.0 * x(i, 0));
  GaussianProcess gp;
  gp.fit(x, y);
  double mean = 0.0, sd = 0.0;
  gp.predict(Eigen::VectorXd::Constant(1, 0.5), &mean, &sd);
  EXPECT_NEAR(mean, std::sin(1.5), 0.02);
  EXPECT_LT(sd, 0.05);
  gp.predict(Eigen::VectorXd::Constant(1, 0.625), &mean, &sd);
  EXPECT_NEAR(mean, std::sin(1.875), 0.05);
  double far_sd = 0.0;
  gp.predict(Eigen::VectorXd::Constant(1, 3.0), &mean, &far_sd);
  EXPECT_GT(far_sd, sd);
}

TEST(GaussianProcess, BatchPredictionMatchesOneByOne) {
  Eigen::MatrixXd x(4, 2);
  x << 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.5, 0.5;
  Eigen::VectorXd y(4);
  y << 1.0, 2.0, 0.5, 1.5;
  GaussianProcess gp;
  gp.fit(x, y);
  Eigen::MatrixXd q(3, 2);
  q << 0.2, 0.3, 0.9, 0.9, 2.0, -1.0;
  Eigen::VectorXd means, sds;
  gp.predict(q, &means, &sds);
  for (int i = 0; i < 3; ++i) {
    double mean = 0.0, sd = 0.0;
    gp.predict(Eigen::VectorXd(q.row(i).transpose()), &mean, &sd);
    EXPECT_NEAR(means(i), mean, 1e-12);
    EXPECT_NEAR(sds(i), sd, 1e-12);
  }
}

TEST(GaussianProcess, Matern52ByHand) {
  EXPECT_DOUBLE_EQ(GaussianProcess::matern52(0.0, 1.0), 1.0);
  const double s = std::sqrt(5.0);
  EXPECT_NEAR(GaussianProcess::matern52(1.0, 1.0), (1.0 + s + 5.0 / 3.0) * std::exp(-s), 1e-15);
}

TEST(ExpectedImprovement, ByHand) {
  // μ = f*: EI = σ φ(0) = σ / √(2π).
  EXPECT_NEAR(expected_improvement(1.0, 2.0, 1.0), 2.0 / std::sqrt(2.0 * std::numbers::pi), 1e-12);
  EXPECT_DOUBLE_EQ(expected_improvement(3.0, 0.0, 1.0), 2.0);  // certain improvement
  EXPECT_DOUBLE_EQ(expected_improvement(0.0, 0.0, 1.0), 0.0);
  // μ − f* = 1, σ = 1: Φ(1) + φ(1).
  EXPECT_NEAR(expected_improvement(2.0, 1.0, 1.0), 0.8413447460685429 + 0.24197072451914337, 1e-12);
}

TEST(GpBo, EncodesLog2WidthsInTheUnitCube) {
  const SearchSpace space = testing::weight_space(2, {2, 4, 8});
  const auto x = encode(space, {0, 1});
  EXPECT_DOUBLE_EQ(x(0), 0.0);
  EXPECT_DOUBLE_EQ(x(1), 0.5);
  EXPECT_DOUBLE_EQ(encode(space, {2, 2})(0), 1.0);
}

// A smooth synthetic objective over 5 knobs × 5 widths (3125 candidates) with
// one optimum at widths (3, 4, 6, 2, 5): −Σ (log2 b − log2 t)².
constexpr int kTarget[] = {3, 4, 6, 2, 5};
Evaluation bowl(const SearchSpace& space, const Genes& genes, int) {
  double v = 0.0;
  for (std::size_t d = 0; d < genes.size(); ++d) {
    const double diff = std::log2(space.knobs[d].bits[static_cast<std::size_t>(genes[d])]) - std::log2(kTarget[d]);
    v -= diff * diff;
  }
  return {v, {}, 0.0};
}

// Trials until the optimum was evaluated (max_trials + 1 if never).
template <typename S>
int trials_to_optimum(S strategy, std::uint64_t seed, int max_trials) {
  const SearchSpace space = testing::weight_space(5, {2, 3, 4, 5, 6});
  testing::FunctionEvaluator eval(bowl);
  TrialLog log;
  SearchContext ctx(space, {}, eval, nullptr, log, testing::quiet(max_trials, seed));
  strategy.run(ctx);
  for (const auto& t : log.trials())
    if (t.evaluation.accuracy > -1e-12) return t.index + 1;
  return max_trials + 1;
}

TEST(GpBo, FindsTheOptimumInFewerTrialsThanRandomSearch) {
  const int max_trials = 40;
  double gp_total = 0.0, random_total = 0.0;
  int gp_found = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    GpBoOptions o;
    o.candidates = 4096;  // enumerate the whole space
    const int gp = trials_to_optimum(GpBo(o), seed, max_trials);
    gp_found += gp <= max_trials;
    gp_total += gp;
    random_total += trials_to_optimum(RandomSearch(), seed, max_trials);
  }
  std::printf("trials to the optimum of 3125 (mean of 5 seeds): GP-BO %.1f, random %.1f\n", gp_total / 5.0,
              random_total / 5.0);
  EXPECT_EQ(gp_found, 5);
  EXPECT_LT(gp_total / 5.0, 0.5 * random_total / 5.0) << "GP-BO mean " << gp_total / 5 << ", random mean " << random_total / 5;
}

TEST(GpBo, SamplesCandidatesInLargeSpaces) {
  // 12 knobs × 5 widths: 2.4e8 candidates, acquisition over random draws and neighbours.
  const SearchSpace space = testing::weight_space(12, {2, 3, 4, 5, 6});
  testing::FunctionEvaluator eval([](const SearchSpace& s, const Genes& g, int) {
    double v = 0.0;
    for (std::size_t d = 0; d < g.size(); ++d) v -= std::abs(std::log2(s.knobs[d].bits[static_cast<std::size_t>(g[d])]) - 2.0);
    return Evaluation{v, {}, 0.0};
  });
  TrialLog log;
  GpBoOptions o;
  o.candidates = 512;
  SearchContext ctx(space, {}, eval, nullptr, log, testing::quiet(40, 3));
  GpBo(o).run(ctx);
  EXPECT_EQ(ctx.requests(), 40);
  double random_best = -1e9, best = -1e9;
  for (const auto& t : log.trials()) {
    double& slot = t.index < 13 ? random_best : best;  // 13 = max(4, D + 1) initial random trials
    slot = std::max(slot, t.evaluation.accuracy);
  }
  EXPECT_GT(best, random_best);  // the GP phase improved on the initial random design
}

}  // namespace
}  // namespace bitlab::search
