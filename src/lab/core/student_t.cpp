#include "lab/core/student_t.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "lab/core/incomplete_beta.h"

namespace bitlab::lab {
namespace {

void check_df(double df) {
  if (!(df > 0.0) || std::isinf(df)) {
    throw std::domain_error("Student t: degrees of freedom must be positive and finite, got " + std::to_string(df));
  }
}

// P(|T| >= |t|) = I_{df/(df+t²)}(df/2, 1/2), with 1 - x = t²/(df+t²) computed
// directly so small |t| keeps its precision.
double two_sided_tail(double t, double df) {
  if (std::isinf(t)) return 0.0;
  const double t2 = t * t;
  return regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2));
}

}  // namespace

double student_t_two_sided_p(double t, double df) {
  check_df(df);
  if (std::isnan(t)) return std::numeric_limits<double>::quiet_NaN();
  return two_sided_tail(t, df);
}

double student_t_cdf(double t, double df) {
  check_df(df);
  if (std::isnan(t)) return std::numeric_limits<double>::quiet_NaN();
  const double half_tail = 0.5 * two_sided_tail(t, df);
  return t >= 0.0 ? 1.0 - half_tail : half_tail;
}

double student_t_quantile(double p, double df) {
  check_df(df);
  if (!(p > 0.0 && p < 1.0)) {
    throw std::domain_error("student_t_quantile: p must be in (0, 1), got " + std::to_string(p));
  }
  if (p == 0.5) return 0.0;
  // Solve on the upper tail, where two_sided_tail(t)/2 = 1 - p is computed without cancellation.
  const double upper_tail = p > 0.5 ? 1.0 - p : p;
  double low = 0.0, high = 1.0;
  while (0.5 * two_sided_tail(high, df) > upper_tail) {
    low = high;
    high *= 2.0;
    if (std::isinf(high)) return p > 0.5 ? high : -high;
  }
  for (int i = 0; i < 2000 && high - low > 4.0 * std::numeric_limits<double>::epsilon() * high; ++i) {
    const double mid = 0.5 * (low + high);
    if (mid <= low || mid >= high) break;
    if (0.5 * two_sided_tail(mid, df) > upper_tail) low = mid;
    else high = mid;
  }
  const double t = 0.5 * (low + high);
  return p > 0.5 ? t : -t;
}

}  // namespace bitlab::lab
