#include "lab/core/paired_t_test.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "lab/core/student_t.h"
#include "lab/core/summary.h"

namespace bitlab::lab {

PairedTTest paired_t_test(std::span<const double> a, std::span<const double> b, double confidence) {
  if (a.size() != b.size()) throw std::invalid_argument("paired_t_test: samples of different lengths");
  if (a.size() < 2) throw std::invalid_argument("paired_t_test: need at least 2 pairs");
  std::vector<double> differences(a.size());
  for (size_t i = 0; i < a.size(); ++i) differences[i] = a[i] - b[i];
  const Summary s = summarize(differences, confidence);

  PairedTTest test;
  test.n = s.n;
  test.confidence = confidence;
  test.mean_difference = s.mean;
  test.sd_difference = *s.standard_deviation;
  test.df = static_cast<double>(s.n - 1);
  test.ci_low = *s.ci_low;
  test.ci_high = *s.ci_high;
  if (test.sd_difference == 0.0) {
    test.t = s.mean == 0.0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), s.mean);
    test.p_value = s.mean == 0.0 ? 1.0 : 0.0;
    return test;
  }
  test.t = s.mean / (test.sd_difference / std::sqrt(static_cast<double>(s.n)));
  test.p_value = student_t_two_sided_p(test.t, test.df);
  return test;
}

}  // namespace bitlab::lab
