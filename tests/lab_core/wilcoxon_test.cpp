#include "lab/core/wilcoxon.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace bitlab::lab {
namespace {

TEST(Wilcoxon, ExactWithoutTies) {
  // Hollander & Wolfe (1973), p. 29: Hamilton depression scale before (x) and
  // after (y) a tranquilliser. R: wilcox.test(x, y, paired = TRUE,
  // alternative = "greater") gives V = 40, p-value = 0.01953 (= 10/512), so the
  // two-sided p is 20/512 = 0.0390625.
  std::vector<double> x{1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
  std::vector<double> y{0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
  WilcoxonTest test = wilcoxon_signed_rank(x, y);
  EXPECT_EQ(test.method, WilcoxonMethod::exact);
  EXPECT_EQ(test.n, 9u);
  EXPECT_EQ(test.zeros, 0u);
  EXPECT_FALSE(test.ties);
  EXPECT_DOUBLE_EQ(test.w_plus, 40.0);
  EXPECT_DOUBLE_EQ(test.w_minus, 5.0);
  EXPECT_DOUBLE_EQ(test.w, 5.0);
  EXPECT_DOUBLE_EQ(test.p_value, 20.0 / 512.0);
}

TEST(Wilcoxon, NormalApproximationWithTiesAndZeros) {
  // Student's sleep data. R: wilcox.test(extra ~ group, data = sleep, paired = TRUE)
  // gives V = 0, p-value = 0.009091 ("cannot compute exact p-value with ties /
  // with zeros"): one zero difference dropped, |d| = 1.3 tied, continuity-corrected z.
  std::vector<double> drug1{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
  std::vector<double> drug2{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
  WilcoxonTest test = wilcoxon_signed_rank(drug1, drug2);
  EXPECT_EQ(test.method, WilcoxonMethod::normal_approximation);
  EXPECT_EQ(test.n, 9u);
  EXPECT_EQ(test.zeros, 1u);
  EXPECT_TRUE(test.ties);
  EXPECT_DOUBLE_EQ(test.w_plus, 0.0);
  EXPECT_DOUBLE_EQ(test.w_minus, 45.0);
  EXPECT_NEAR(test.p_value, 0.009091, 5e-7);
  EXPECT_LT(test.z, 0.0);
}

TEST(Wilcoxon, ExactDistributionSmallCases) {
  // n = 1: W+ is 0 or 1 with probability 1/2 each; the smallest two-sided p is 1.
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank(std::vector<double>{2.0}, std::vector<double>{1.0}).p_value, 1.0);
  // n = 5, all positive: P(W+ = 15) = 1/32, two-sided 1/16, the classic "n = 5 cannot reach 0.05".
  std::vector<double> a{1, 2, 3, 4, 5}, b{0, 0, 0, 0, 0};
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank(a, b).p_value, 1.0 / 16.0);
  // n = 6, all positive: 2/64.
  std::vector<double> a6{1, 2, 3, 4, 5, 6}, b6(6, 0.0);
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank(a6, b6).p_value, 2.0 / 64.0);
}

TEST(Wilcoxon, LargeSamplesUseTheNormalApproximation) {
  std::vector<double> a, b;
  for (int i = 1; i <= 60; ++i) {
    a.push_back(i + (i % 3 == 0 ? -0.5 * i : 0.25 * i));
    b.push_back(i);
  }
  WilcoxonTest test = wilcoxon_signed_rank(a, b);
  EXPECT_EQ(test.method, WilcoxonMethod::normal_approximation);
  EXPECT_FALSE(test.ties);
  // Without ties the variance is n(n+1)(2n+1)/24; recompute z by hand.
  const double n = 60, mean = n * (n + 1) / 4, sd = std::sqrt(n * (n + 1) * (2 * n + 1) / 24);
  const double z = (std::fabs(test.w_plus - mean) - 0.5) / sd;
  EXPECT_NEAR(test.p_value, std::erfc(z / std::sqrt(2.0)), 1e-15);
  EXPECT_DOUBLE_EQ(test.w_plus + test.w_minus, n * (n + 1) / 2);
}

TEST(Wilcoxon, FloatingPointNoiseStillTies) {
  // 0.3 - 0.1 and 0.5 - 0.3 differ in the last bit but are the same difference.
  std::vector<double> a{0.3, 0.5, 0.9}, b{0.1, 0.3, 0.5};
  ASSERT_NE(a[0] - b[0], a[1] - b[1]);
  WilcoxonTest test = wilcoxon_signed_rank(a, b);
  EXPECT_TRUE(test.ties);
  EXPECT_EQ(test.method, WilcoxonMethod::normal_approximation);
  EXPECT_DOUBLE_EQ(test.w_plus, 6.0);
}

TEST(Wilcoxon, AllZeroDifferencesGiveNoEvidence) {
  std::vector<double> a{0.5, 0.6};
  WilcoxonTest test = wilcoxon_signed_rank(a, a);
  EXPECT_EQ(test.n, 0u);
  EXPECT_EQ(test.zeros, 2u);
  EXPECT_EQ(test.p_value, 1.0);
  EXPECT_THROW(wilcoxon_signed_rank(a, std::vector<double>{1.0}), std::invalid_argument);
  EXPECT_THROW(wilcoxon_signed_rank(std::vector<double>{}, std::vector<double>{}), std::invalid_argument);
}

}  // namespace
}  // namespace bitlab::lab
