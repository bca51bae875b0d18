#pragma once
// One run of an expanded design: which levels, which seed, which fold, and the
// config it trains with. Plain data shared by expansion, the results store and
// the runner.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace bitlab::lab {

// Which fold of a k-fold split a run validates on (fold_index in [0, fold_count)).
// The split itself comes from stratified_folds(labels, fold_count, split_seed).
struct FoldAssignment {
  int fold_index = 0;
  int fold_count = 0;
  uint64_t split_seed = 0;
  bool operator==(const FoldAssignment&) const = default;
};

struct LevelChoice {
  std::string factor;
  std::string level;
  bool operator==(const LevelChoice&) const = default;
};

struct Run {
  // Position in the expanded design; shards pick runs by it (shard.h).
  size_t index = 0;
  // "bits=w4,algo=lsq/seed=1/fold=0": stable across re-expansions of the same
  // design, the key under which the results store keeps the run.
  std::string id;
  // "bits=w4,algo=lsq" ("base" when the design has no factors): runs of one
  // variant differ only in seed and fold, and statistics group by it.
  std::string variant;
  std::vector<LevelChoice> levels;
  uint64_t seed = 0;
  std::optional<FoldAssignment> fold;
  nlohmann::json config;  // base + level patches + seed
};

}  // namespace bitlab::lab
