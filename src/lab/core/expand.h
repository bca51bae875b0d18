#pragma once
// Design → runs. Order: seeds outermost, then folds, then variants, so a design
// stopped half-way already holds complete blocks of paired runs (every variant
// on the same seed and fold), which is what the paired tests compare.
#include <functional>
#include <vector>

#include "lab/core/design.h"
#include "lab/core/run.h"

namespace bitlab::lab {

struct ExpandOptions {
  // Checks a resolved config (e.g. the strict train-config parser); a
  // ConfigError it throws is re-thrown naming the design file and the run.
  std::function<void(const nlohmann::json& config)> validate;
};

std::vector<Run> expand(const Design& design, const ExpandOptions& options = {});

// "bits=w4,algo=lsq", or "base" for a design without factors.
std::string variant_name(const std::vector<LevelChoice>& levels);

}  // namespace bitlab::lab
