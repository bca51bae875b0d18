#include "lab/core/wilcoxon.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace bitlab::lab {
namespace {

struct RankedDifferences {
  std::vector<double> ranks;      // rank of |d_i| among the non-zero differences (average for ties)
  std::vector<bool> positive;
  double tie_correction = 0.0;    // Σ (t³ - t) over tie groups of size t
  bool ties = false;
};

RankedDifferences rank_absolute_differences(const std::vector<double>& differences, double tolerance) {
  const size_t n = differences.size();
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return std::fabs(differences[x]) < std::fabs(differences[y]); });
  RankedDifferences ranked;
  ranked.ranks.resize(n);
  ranked.positive.resize(n);
  for (size_t start = 0; start < n;) {
    // A tie group: every |d| within the tolerance of the group's smallest one.
    const double smallest = std::fabs(differences[order[start]]);
    size_t end = start + 1;
    while (end < n && std::fabs(differences[order[end]]) - smallest <= tolerance * std::fabs(differences[order[end]])) ++end;
    const double average_rank = 0.5 * static_cast<double>(start + 1 + end);  // mean of ranks start+1..end
    for (size_t k = start; k < end; ++k) ranked.ranks[order[k]] = average_rank;
    const double size = static_cast<double>(end - start);
    if (end - start > 1) ranked.ties = true;
    ranked.tie_correction += size * size * size - size;
    start = end;
  }
  for (size_t i = 0; i < n; ++i) ranked.positive[i] = differences[i] > 0.0;
  return ranked;
}

// P(W+ <= w) under H0 for n untied ranks 1..n: each rank joins W+ with
// probability 1/2, so the distribution is the subset-sum count over 2^n. The
// probabilities are multiples of 2^-n, exact in doubles for n <= 50.
double exact_lower_tail(size_t n, double w) {
  const size_t max_sum = n * (n + 1) / 2;
  std::vector<double> probability(max_sum + 1, 0.0);
  probability[0] = 1.0;
  for (size_t rank = 1; rank <= n; ++rank) {
    for (size_t sum = rank * (rank + 1) / 2; sum >= rank; --sum) {
      probability[sum] = 0.5 * (probability[sum] + probability[sum - rank]);
    }
    for (size_t sum = 0; sum < rank; ++sum) probability[sum] *= 0.5;
  }
  double tail = 0.0;
  for (size_t sum = 0; sum <= max_sum && static_cast<double>(sum) <= w; ++sum) tail += probability[sum];
  return tail;
}

}  // namespace

WilcoxonTest wilcoxon_signed_rank(std::span<const double> a, std::span<const double> b,
                                  const WilcoxonOptions& options) {
  if (a.size() != b.size()) throw std::invalid_argument("wilcoxon_signed_rank: samples of different lengths");
  if (a.empty()) throw std::invalid_argument("wilcoxon_signed_rank: no pairs");
  WilcoxonTest test;
  std::vector<double> differences;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = a[i] - b[i];
    if (std::fabs(d) <= options.relative_tolerance * std::max(std::fabs(a[i]), std::fabs(b[i]))) {
      ++test.zeros;
    } else {
      differences.push_back(d);
    }
  }
  test.n = differences.size();
  if (test.n == 0) return test;  // no evidence either way

  const RankedDifferences ranked = rank_absolute_differences(differences, options.relative_tolerance);
  for (size_t i = 0; i < test.n; ++i) (ranked.positive[i] ? test.w_plus : test.w_minus) += ranked.ranks[i];
  test.w = std::min(test.w_plus, test.w_minus);
  test.ties = ranked.ties;

  const double n = static_cast<double>(test.n);
  if (!test.ties && test.n <= options.exact_max_pairs) {
    test.method = WilcoxonMethod::exact;
    // The null distribution is symmetric, so the two-sided p doubles the tail at min(W+, W-).
    test.p_value = std::min(1.0, 2.0 * exact_lower_tail(test.n, test.w));
    return test;
  }
  test.method = WilcoxonMethod::normal_approximation;
  const double mean = n * (n + 1.0) / 4.0;
  const double variance = n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - ranked.tie_correction / 48.0;
  // Continuity correction: move |W+ - mean| half a step towards 0, but not past it.
  const double distance = std::max(0.0, std::fabs(test.w_plus - mean) - 0.5);
  test.z = std::copysign(distance / std::sqrt(variance), test.w_plus - mean);
  test.p_value = std::min(1.0, std::erfc(distance / std::sqrt(variance) / std::sqrt(2.0)));
  return test;
}

}  // namespace bitlab::lab
