#pragma once
// The regularised incomplete beta function I_x(a, b), the backbone of the
// Student t distribution (student_t.h).
namespace bitlab::lab {

// I_x(a, b) for a, b > 0 and x in [0, 1]; std::domain_error otherwise.
// Evaluated by the continued fraction of Numerical Recipes §6.4 with the
// modified Lentz method, on whichever of I_x(a, b) = 1 - I_{1-x}(b, a) converges
// fast (x below the mean (a+1)/(a+b+2)). Accuracy about 1e-14 for small
// parameters; the lgamma terms of the prefactor cost a little for large ones
// (about 1e-12 at a = b = 400), ample for p-values.
double regularized_incomplete_beta(double a, double b, double x);

// The same with 1 - x given separately, for callers that know it more precisely
// than the subtraction would give it (t tails: 1 - x = t²/(df + t²)).
double regularized_incomplete_beta(double a, double b, double x, double one_minus_x);

}  // namespace bitlab::lab
