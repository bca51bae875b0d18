#pragma once
// From metric values in the results store to the inputs of the statistics:
// per-variant summaries, and pairs of two variants on the same seed and fold.
#include <map>
#include <string>
#include <vector>

#include "lab/core/results_store.h"
#include "lab/core/summary.h"

namespace bitlab::lab {

// Each variant's values summarised (variants with at least one value).
std::map<std::string, Summary> summarize_by_variant(const std::vector<MetricValue>& values,
                                                    double confidence = 0.95);

struct PairedSamples {
  std::vector<double> a, b;                // a[i], b[i]: the same seed and fold
  std::vector<std::string> unpaired_runs;  // runs of either variant whose partner is missing (not done yet)
};

// Pairs variant_a's and variant_b's values by (seed, fold), in the order of variant_a's values.
PairedSamples pair_by_seed_and_fold(const std::vector<MetricValue>& values, const std::string& variant_a,
                                    const std::string& variant_b);

}  // namespace bitlab::lab
