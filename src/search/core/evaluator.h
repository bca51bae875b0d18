#pragma once
// Evaluating a candidate policy (docs/search.md §3): an Evaluator returns its
// accuracy after `budget` epochs of short QAT (the LibTorch one lives in
// src/search) and a CostModel its hardware costs (hw); search/core only sees
// these interfaces, so every strategy is tested on synthetic objectives.
#include <map>
#include <string>

#include "search/core/objective.h"
#include "search/core/space.h"

namespace bitlab::search {

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // Accuracy (and any costs it measures itself, e.g. a measured latency) of `genes`
  // trained for `budget` epochs. Must be deterministic for resume to replay a search.
  virtual Evaluation evaluate(const SearchSpace& space, const Genes& genes, int budget) = 0;
};

class CostModel {
 public:
  virtual ~CostModel() = default;
  virtual std::map<std::string, double> costs(const hw::PrecisionAssignment& assignment) = 0;
};

}  // namespace bitlab::search
