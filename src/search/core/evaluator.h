#pragma once
// Evaluating a candidate policy (docs/search.md §3): an Evaluator returns its
// accuracy after `budget` epochs of short QAT (the LibTorch one lives in
// src/search) and a CostModel its hardware costs (hw); search/core only sees
// these interfaces, so every strategy is tested on synthetic objectives.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"

#include "search/core/objective.h"
#include "search/core/space.h"

namespace bitlab::search {

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // Accuracy (and any costs it measures itself, e.g. a measured latency) of `genes`
  // trained for `budget` epochs. Must be deterministic for resume to replay a search.
  virtual Evaluation evaluate(const SearchSpace& space, const Genes& genes, int budget) = 0;
  // The same for a whole policy outside the space (a flat reference point,
  // search/core/references.h); `key` names it uniquely. Not every evaluator can.
  virtual Evaluation evaluate_policy(const nlohmann::json& policy, const std::string& key, int budget) {
    static_cast<void>(policy);
    static_cast<void>(budget);
    throw ConfigError("/references: this evaluator cannot score reference policies (asked for " + key + ")");
  }
  // Hyperband's promoted candidates (docs/search.md §4.3): `genes` at `budget`
  // epochs, continuing its own trial at `from_budget` (< budget) epochs, which
  // this search evaluated earlier (or a killed run of it did), so only the
  // extra budget − from_budget epochs train. Must give what an uninterrupted
  // continuation gives, for resume. The default trains afresh.
  virtual Evaluation evaluate_continued(const SearchSpace& space, const Genes& genes, int from_budget, int budget) {
    static_cast<void>(from_budget);
    return evaluate(space, genes, budget);
  }
};

class CostModel {
 public:
  virtual ~CostModel() = default;
  virtual std::map<std::string, double> costs(const hw::PrecisionAssignment& assignment) = 0;
};

}  // namespace bitlab::search
