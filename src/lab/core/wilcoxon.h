#pragma once
// Wilcoxon signed-rank test for paired samples: the rank-based companion of the
// paired t-test, for metrics whose differences need not be normal.
#include <cstddef>
#include <span>

namespace bitlab::lab {

enum class WilcoxonMethod {
  exact,                 // the exact null distribution of W+ (no ties, n <= exact_max_pairs)
  normal_approximation,  // z with tie-corrected variance and a 0.5 continuity correction
};

struct WilcoxonOptions {
  // Up to this many non-zero differences without ties, the p-value is exact.
  size_t exact_max_pairs = 50;
  // Metrics computed in floating point rarely tie exactly even when they should
  // (0.9 - 0.8 != 0.6 - 0.5): |d| values within this relative distance are one
  // tie, and a difference within it of max(|a|, |b|) counts as zero.
  double relative_tolerance = 1e-9;
};

struct WilcoxonTest {
  size_t n = 0;       // pairs with a non-zero difference: the ones ranked
  size_t zeros = 0;   // pairs dropped for a zero difference (Wilcoxon's method)
  double w_plus = 0.0;   // rank sum of positive differences a - b (R's V)
  double w_minus = 0.0;  // rank sum of negative differences
  double w = 0.0;        // min(w_plus, w_minus), the statistic tables list
  bool ties = false;     // some |d| tied (average ranks used)
  WilcoxonMethod method = WilcoxonMethod::exact;
  double z = 0.0;        // normal approximation only
  double p_value = 1.0;  // two-sided; 1 when every difference is zero
};

// a[i] and b[i] are one pair; std::invalid_argument for lengths that differ or are 0.
WilcoxonTest wilcoxon_signed_rank(std::span<const double> a, std::span<const double> b,
                                  const WilcoxonOptions& options = {});

}  // namespace bitlab::lab
