#include "lab/core/folds.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>

#include "quant/random.h"

namespace bitlab::lab {

std::vector<std::vector<size_t>> stratified_folds(std::span<const int64_t> labels, int k, uint64_t seed) {
  if (k < 2 || static_cast<size_t>(k) > labels.size()) {
    throw std::invalid_argument("stratified_folds: need 2 <= k <= number of samples, got k = " +
                                std::to_string(k) + " for " + std::to_string(labels.size()) + " samples");
  }
  // std::map: classes in ascending label order, whatever order the samples come in.
  std::map<int64_t, std::vector<size_t>> members;
  for (size_t i = 0; i < labels.size(); ++i) members[labels[i]].push_back(i);

  quant::Generator generator(seed);
  std::vector<std::vector<size_t>> folds(static_cast<size_t>(k));
  size_t next_fold = 0;
  for (auto& [label, indices] : members) {
    // Fisher-Yates with a portable draw (std::shuffle's draws are implementation-defined).
    for (size_t i = indices.size(); i > 1; --i) {
      size_t j = quant::uniform_below(generator, i);
      std::swap(indices[i - 1], indices[j]);
    }
    for (size_t index : indices) {
      folds[next_fold].push_back(index);
      next_fold = (next_fold + 1) % folds.size();
    }
  }
  for (auto& fold : folds) std::sort(fold.begin(), fold.end());
  return folds;
}

FoldSplit fold_split(std::span<const int64_t> labels, int k, uint64_t seed, int fold) {
  if (fold < 0 || fold >= k) {
    throw std::invalid_argument("fold_split: fold " + std::to_string(fold) + " outside [0, " +
                                std::to_string(k) + ")");
  }
  std::vector<std::vector<size_t>> folds = stratified_folds(labels, k, seed);
  FoldSplit split;
  split.validation = std::move(folds[static_cast<size_t>(fold)]);
  std::vector<bool> in_validation(labels.size(), false);
  for (size_t index : split.validation) in_validation[index] = true;
  for (size_t i = 0; i < labels.size(); ++i)
    if (!in_validation[i]) split.train.push_back(i);
  return split;
}

}  // namespace bitlab::lab
