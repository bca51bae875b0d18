#pragma once
// `bitlab lab status`: how far an experiment is, per status and per variant.
#include <string>
#include <utility>
#include <vector>

#include "lab/core/results_store.h"

namespace bitlab::lab {

// (variant, counts) in design order.
std::vector<std::pair<std::string, StatusCounts>> counts_by_variant(const std::vector<RunRecord>& records);

// A fixed-width table: one row per variant and a total row; then each failed
// run with the first line of its error.
std::string format_status(const std::vector<RunRecord>& records);

}  // namespace bitlab::lab
