#pragma once
// Student's t distribution with df > 0 degrees of freedom (non-integer df allowed).
namespace bitlab::lab {

// P(T <= t).
double student_t_cdf(double t, double df);

// P(|T| >= |t|): the two-sided p-value of a t statistic. ±infinity gives 0.
double student_t_two_sided_p(double t, double df);

// The t with P(T <= t) = p, for p in (0, 1): t_{0.975, 10} = 2.2281...
// Bisection on the cdf to full double precision (the cdf is monotone, so this
// cannot fail to converge the way Newton steps can in the heavy tails of df = 1).
double student_t_quantile(double p, double df);

}  // namespace bitlab::lab
