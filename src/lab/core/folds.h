#pragma once
// Stratified k-fold cross-validation over the training split. The test set is
// never passed here: it stays held out for the final evaluation.
#include <cstdint>
#include <span>
#include <vector>

namespace bitlab::lab {

// Splits sample indices 0..labels.size()-1 into k disjoint folds that together
// cover every index. Each class is shuffled (seeded, portable: the same folds on
// every platform and standard library) and dealt round-robin with one counter
// running across classes, so every class's count differs by at most one between
// folds, and so does every fold's size. Each fold is sorted ascending.
// k must be in [2, labels.size()]; otherwise std::invalid_argument.
std::vector<std::vector<size_t>> stratified_folds(std::span<const int64_t> labels, int k, uint64_t seed);

struct FoldSplit {
  std::vector<size_t> train;       // every index outside the fold, ascending
  std::vector<size_t> validation;  // the fold
};

// The training and validation indices of fold `fold` (in [0, k)) of stratified_folds(labels, k, seed).
FoldSplit fold_split(std::span<const int64_t> labels, int k, uint64_t seed, int fold);

}  // namespace bitlab::lab
