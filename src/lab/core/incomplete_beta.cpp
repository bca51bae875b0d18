#include "lab/core/incomplete_beta.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace bitlab::lab {
namespace {

// Continued fraction for I_x(a, b) (NR eq. 6.4.5), modified Lentz: the
// convergents are built as ratios C = A_n/A_{n-1}, D = B_{n-1}/B_n, and any
// zero denominator is nudged to `tiny` so the recurrence never divides by 0.
double beta_continued_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300;
  constexpr double epsilon = 1e-16;
  // Converges in O(sqrt(max(a, b))) terms when x < (a+1)/(a+b+2).
  const int max_terms = 1000 + static_cast<int>(10.0 * std::sqrt(std::max(a, b)));

  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= max_terms; ++m) {
    const double m2 = 2.0 * m;
    // Even step: d_{2m} = m(b-m)x / ((a+2m-1)(a+2m)).
    double coefficient = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + coefficient * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1.0 + coefficient / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    h *= d * c;
    // Odd step: d_{2m+1} = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)).
    coefficient = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + coefficient * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1.0 + coefficient / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < epsilon) return h;
  }
  throw std::domain_error("regularized_incomplete_beta: continued fraction did not converge for a = " +
                          std::to_string(a) + ", b = " + std::to_string(b) + ", x = " + std::to_string(x));
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x, double one_minus_x) {
  if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0) || !(one_minus_x >= 0.0 && one_minus_x <= 1.0)) {
    throw std::domain_error("regularized_incomplete_beta: need a, b > 0 and x in [0, 1], got a = " +
                            std::to_string(a) + ", b = " + std::to_string(b) + ", x = " + std::to_string(x));
  }
  if (x == 0.0) return 0.0;
  if (one_minus_x == 0.0) return 1.0;
  // x^a (1-x)^b / (a B(a, b)) in logs: the powers alone under- or overflow for large a, b.
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                           b * std::log(one_minus_x);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, one_minus_x) / b;
}

double regularized_incomplete_beta(double a, double b, double x) {
  return regularized_incomplete_beta(a, b, x, 1.0 - x);
}

}  // namespace bitlab::lab
