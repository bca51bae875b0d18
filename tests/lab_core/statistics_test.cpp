#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "lab/core/comparison.h"
#include "lab/core/incomplete_beta.h"
#include "lab/core/paired_t_test.h"
#include "lab/core/student_t.h"
#include "lab/core/summary.h"

namespace bitlab::lab {
namespace {

// Student's sleep data (Cushny & Peebles 1905; R's `sleep`): extra hours of
// sleep of ten patients under two drugs.
const std::vector<double> kSleepDrug1{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
const std::vector<double> kSleepDrug2{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};

double binomial_upper_tail(int n, int k, double p) {  // P(X >= k), X ~ Bin(n, p)
  double sum = 0.0;
  for (int i = k; i <= n; ++i) {
    sum += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0)) * std::pow(p, i) *
           std::pow(1.0 - p, n - i);
  }
  return sum;
}

TEST(IncompleteBeta, ClosedForms) {
  for (double x : {0.0, 0.01, 0.3, 0.5, 0.77, 0.999, 1.0}) {
    EXPECT_NEAR(regularized_incomplete_beta(1.0, 1.0, x), x, 1e-14);                    // uniform
    EXPECT_NEAR(regularized_incomplete_beta(3.0, 1.0, x), std::pow(x, 3.0), 1e-14);     // x^a
    EXPECT_NEAR(regularized_incomplete_beta(1.0, 4.0, x), 1.0 - std::pow(1.0 - x, 4.0), 1e-14);
    // I_x(1/2, 1/2) = (2/π) asin(√x): the arcsine distribution.
    EXPECT_NEAR(regularized_incomplete_beta(0.5, 0.5, x), 2.0 / M_PI * std::asin(std::sqrt(x)), 1e-13);
  }
  for (double a : {0.5, 2.0, 17.0}) EXPECT_NEAR(regularized_incomplete_beta(a, a, 0.5), 0.5, 1e-13);
  // Large parameters lose a little in the lgamma terms of the prefactor (lgamma(800) ≈ 4540).
  EXPECT_NEAR(regularized_incomplete_beta(400.0, 400.0, 0.5), 0.5, 1e-11);
}

TEST(IncompleteBeta, MatchesBinomialTails) {
  // I_p(k, n - k + 1) = P(X >= k) for X ~ Bin(n, p): both continued-fraction branches get exercised.
  for (int n : {5, 20, 60}) {
    for (int k = 1; k <= n; k += 3) {
      for (double p : {0.05, 0.4, 0.9}) {
        EXPECT_NEAR(regularized_incomplete_beta(k, n - k + 1.0, p), binomial_upper_tail(n, k, p), 1e-12)
            << "n=" << n << " k=" << k << " p=" << p;
      }
    }
  }
}

TEST(IncompleteBeta, RejectsArgumentsOutsideTheDomain) {
  EXPECT_THROW(regularized_incomplete_beta(0.0, 1.0, 0.5), std::domain_error);
  EXPECT_THROW(regularized_incomplete_beta(1.0, -1.0, 0.5), std::domain_error);
  EXPECT_THROW(regularized_incomplete_beta(1.0, 1.0, 1.5), std::domain_error);
  EXPECT_THROW(regularized_incomplete_beta(1.0, 1.0, std::nan("")), std::domain_error);
}

TEST(StudentT, QuantilesMatchTables) {
  // t_{0.975, df} as printed in every t table.
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062, 5e-5);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.3027, 5e-5);
  EXPECT_NEAR(student_t_quantile(0.975, 5), 2.5706, 5e-5);
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.2281, 5e-5);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.0423, 5e-5);
  EXPECT_NEAR(student_t_quantile(0.995, 10), 3.1693, 5e-5);
  EXPECT_NEAR(student_t_quantile(0.025, 5), -2.5706, 5e-5);
  EXPECT_EQ(student_t_quantile(0.5, 3), 0.0);
}

TEST(StudentT, CdfClosedForms) {
  // df = 1 is the Cauchy distribution; df = 2 has F(t) = 1/2 + t / (2 sqrt(t² + 2)).
  for (double t : {-30.0, -2.0, -0.3, 0.0, 0.1, 1.0, 4.0, 100.0}) {
    EXPECT_NEAR(student_t_cdf(t, 1), 0.5 + std::atan(t) / M_PI, 1e-14) << t;
    EXPECT_NEAR(student_t_cdf(t, 2), 0.5 + t / (2.0 * std::sqrt(t * t + 2.0)), 1e-14) << t;
  }
  EXPECT_EQ(student_t_two_sided_p(INFINITY, 4), 0.0);
  EXPECT_EQ(student_t_two_sided_p(0.0, 4), 1.0);
  EXPECT_THROW(student_t_cdf(1.0, 0.0), std::domain_error);
  EXPECT_THROW(student_t_quantile(1.0, 3.0), std::domain_error);
}

RC_GTEST_PROP(StudentT, QuantileInvertsTheCdf, ()) {
  const double df = *rc::gen::inRange(1, 2000) / 10.0;
  const double p = *rc::gen::inRange(1, 9999) / 10000.0;
  const double t = student_t_quantile(p, df);
  RC_ASSERT(std::fabs(student_t_cdf(t, df) - p) < 1e-11);
  RC_ASSERT(std::fabs(student_t_quantile(1.0 - p, df) + t) < 1e-9 * std::max(1.0, std::fabs(t)));
}

TEST(Summary, MeanSdAndConfidenceInterval) {
  std::vector<double> values{2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0};
  Summary s = summarize(values);
  EXPECT_EQ(s.n, 8u);
  EXPECT_DOUBLE_EQ(s.mean, 5.0);
  EXPECT_NEAR(*s.standard_deviation, std::sqrt(32.0 / 7.0), 1e-14);
  const double half = 2.36462425 * std::sqrt(32.0 / 7.0) / std::sqrt(8.0);  // t_{0.975,7} = 2.364624
  EXPECT_NEAR(*s.ci_low, 5.0 - half, 1e-7);
  EXPECT_NEAR(*s.ci_high, 5.0 + half, 1e-7);
}

TEST(Summary, SingleValueHasNoSpread) {
  std::vector<double> one{0.91};
  Summary s = summarize(one);
  EXPECT_DOUBLE_EQ(s.mean, 0.91);
  EXPECT_FALSE(s.standard_deviation.has_value());
  EXPECT_FALSE(s.ci_low.has_value());
  EXPECT_THROW(summarize(std::vector<double>{}), std::invalid_argument);
}

TEST(Summary, NoCancellationForTinySpreadsAroundLargeMeans) {
  // Sum-of-squares would lose everything here (x² ≈ 1e12, its rounding ≈ 1e-4 > sd² = 1e-6).
  std::vector<double> values{1e6 + 0.001, 1e6 + 0.002, 1e6 + 0.003};
  EXPECT_NEAR(*summarize(values).standard_deviation, 0.001, 1e-9);
}

TEST(PairedTTest, StudentsSleepData) {
  // R: t.test(extra ~ group, data = sleep, paired = TRUE):
  // t = -4.0621, df = 9, p-value = 0.002833, 95% CI -2.4598858 -0.7001142, mean difference -1.58.
  PairedTTest test = paired_t_test(kSleepDrug1, kSleepDrug2);
  EXPECT_EQ(test.n, 10u);
  EXPECT_NEAR(test.t, -4.0621, 5e-5);
  EXPECT_DOUBLE_EQ(test.df, 9.0);
  EXPECT_NEAR(test.p_value, 0.002833, 5e-7);
  EXPECT_NEAR(test.mean_difference, -1.58, 1e-12);
  EXPECT_NEAR(test.ci_low, -2.4598858, 5e-8);
  EXPECT_NEAR(test.ci_high, -0.7001142, 5e-8);
}

TEST(PairedTTest, SymmetricInItsArguments) {
  PairedTTest ab = paired_t_test(kSleepDrug1, kSleepDrug2), ba = paired_t_test(kSleepDrug2, kSleepDrug1);
  EXPECT_DOUBLE_EQ(ab.t, -ba.t);
  EXPECT_DOUBLE_EQ(ab.p_value, ba.p_value);
}

TEST(PairedTTest, ConstantDifferences) {
  std::vector<double> a{1.0, 2.0, 3.0}, b{0.5, 1.5, 2.5};
  PairedTTest shifted = paired_t_test(a, b);
  EXPECT_TRUE(std::isinf(shifted.t) && shifted.t > 0);
  EXPECT_EQ(shifted.p_value, 0.0);
  PairedTTest same = paired_t_test(a, a);
  EXPECT_EQ(same.t, 0.0);
  EXPECT_EQ(same.p_value, 1.0);
  EXPECT_THROW(paired_t_test(std::vector<double>{1.0}, std::vector<double>{2.0}), std::invalid_argument);
  EXPECT_THROW(paired_t_test(a, std::vector<double>{1.0, 2.0}), std::invalid_argument);
}

TEST(Comparison, PairsBySeedAndFoldAndSummarisesVariants) {
  std::vector<MetricValue> values{
      {"a/seed=1", "a", 1, std::nullopt, 0.90}, {"b/seed=1", "b", 1, std::nullopt, 0.80},
      {"a/seed=2", "a", 2, std::nullopt, 0.92}, {"b/seed=3", "b", 3, std::nullopt, 0.85},
      {"b/seed=2", "b", 2, std::nullopt, 0.84}, {"c/seed=1", "c", 1, std::nullopt, 0.50},
  };
  PairedSamples pairs = pair_by_seed_and_fold(values, "a", "b");
  EXPECT_EQ(pairs.a, (std::vector<double>{0.90, 0.92}));
  EXPECT_EQ(pairs.b, (std::vector<double>{0.80, 0.84}));
  EXPECT_EQ(pairs.unpaired_runs, (std::vector<std::string>{"b/seed=3"}));

  auto summaries = summarize_by_variant(values);
  ASSERT_EQ(summaries.size(), 3u);
  EXPECT_NEAR(summaries.at("b").mean, (0.80 + 0.85 + 0.84) / 3.0, 1e-15);
  EXPECT_EQ(summaries.at("c").n, 1u);
}

TEST(Comparison, FoldsAreSeparatePairs) {
  std::vector<MetricValue> values{
      {"a/seed=1/fold=0", "a", 1, 0, 1.0}, {"a/seed=1/fold=1", "a", 1, 1, 2.0},
      {"b/seed=1/fold=1", "b", 1, 1, 20.0}, {"b/seed=1/fold=0", "b", 1, 0, 10.0},
  };
  PairedSamples pairs = pair_by_seed_and_fold(values, "a", "b");
  EXPECT_EQ(pairs.a, (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(pairs.b, (std::vector<double>{10.0, 20.0}));
  EXPECT_TRUE(pairs.unpaired_runs.empty());
}

}  // namespace
}  // namespace bitlab::lab
