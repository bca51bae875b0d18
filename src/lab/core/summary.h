#pragma once
// Mean, sample standard deviation and a Student-t confidence interval of the
// mean: what a report shows per variant over its seeds and folds.
#include <cstddef>
#include <optional>
#include <span>

namespace bitlab::lab {

struct Summary {
  size_t n = 0;
  double mean = 0.0;
  // Undefined (nullopt) for a single value: one seed says nothing about spread.
  std::optional<double> standard_deviation;  // sample (n - 1 denominator)
  std::optional<double> ci_low, ci_high;     // mean ± t_{(1+c)/2, n-1} · sd / sqrt(n)
  double confidence = 0.95;
};

// std::invalid_argument for no values or a confidence outside (0, 1).
Summary summarize(std::span<const double> values, double confidence = 0.95);

}  // namespace bitlab::lab
