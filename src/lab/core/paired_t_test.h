#pragma once
// Paired t-test: do variants A and B differ on the same seeds/folds?
#include <cstddef>
#include <span>

namespace bitlab::lab {

struct PairedTTest {
  size_t n = 0;
  double mean_difference = 0.0;  // mean of a[i] - b[i]
  double sd_difference = 0.0;    // sample standard deviation of the differences
  double t = 0.0;                // mean / (sd / sqrt(n))
  double df = 0.0;               // n - 1
  double p_value = 1.0;          // two-sided, from Student's t
  double ci_low = 0.0, ci_high = 0.0;  // confidence interval of the mean difference
  double confidence = 0.95;
};

// a[i] and b[i] must be one pair (same seed and fold). Needs n >= 2 pairs of
// equal length; std::invalid_argument otherwise. When every difference is the
// same, sd is 0: t is ±infinity with p = 0 for a non-zero difference, and t = 0
// with p = 1 when all differences are 0.
PairedTTest paired_t_test(std::span<const double> a, std::span<const double> b, double confidence = 0.95);

}  // namespace bitlab::lab
