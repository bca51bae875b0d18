#include "lab/core/folds.h"

#include <algorithm>
#include <map>
#include <numeric>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace bitlab::lab {
namespace {

// Checks everything stratified_folds promises for these labels and k.
void expect_stratified_partition(const std::vector<int64_t>& labels, int k, uint64_t seed) {
  auto folds = stratified_folds(labels, k, seed);
  RC_ASSERT(folds.size() == static_cast<size_t>(k));
  std::vector<size_t> all;
  for (const auto& fold : folds) {
    RC_ASSERT(std::is_sorted(fold.begin(), fold.end()));
    all.insert(all.end(), fold.begin(), fold.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<size_t> expected(labels.size());
  std::iota(expected.begin(), expected.end(), size_t{0});
  RC_ASSERT(all == expected);  // disjoint and covering

  size_t smallest = labels.size(), largest = 0;
  for (const auto& fold : folds) {
    smallest = std::min(smallest, fold.size());
    largest = std::max(largest, fold.size());
  }
  RC_ASSERT(largest - smallest <= 1);

  std::map<int64_t, std::vector<size_t>> per_class_counts;
  for (const auto& fold : folds) {
    std::map<int64_t, size_t> counts;
    for (size_t index : fold) ++counts[labels[index]];
    for (int64_t label : labels) per_class_counts[label].push_back(counts[label]);
  }
  for (const auto& [label, counts] : per_class_counts) {
    auto [low, high] = std::minmax_element(counts.begin(), counts.end());
    RC_ASSERT(*high - *low <= 1);
  }
}

RC_GTEST_PROP(StratifiedFolds, PartitionBalancedPerClassAndInSize, ()) {
  const int classes = *rc::gen::inRange(1, 6);
  auto labels = *rc::gen::container<std::vector<int64_t>>(rc::gen::inRange<int64_t>(0, classes));
  RC_PRE(labels.size() >= 2);
  const int k = *rc::gen::inRange(2, static_cast<int>(std::min<size_t>(labels.size(), 10)) + 1);
  expect_stratified_partition(labels, k, *rc::gen::arbitrary<uint64_t>());
}

TEST(StratifiedFolds, DeterministicGivenTheSeedAndDifferentAcrossSeeds) {
  std::vector<int64_t> labels(200);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int64_t>((i * 7) % 10);
  EXPECT_EQ(stratified_folds(labels, 5, 42), stratified_folds(labels, 5, 42));
  EXPECT_NE(stratified_folds(labels, 5, 42), stratified_folds(labels, 5, 43));
}

TEST(StratifiedFolds, AssignmentIsPinned) {
  // Stored results name their fold by index, so the assignment for a given seed
  // must never change silently (std::mt19937_64 and quant::uniform_below are
  // specified bit for bit, so this holds on every platform).
  std::vector<int64_t> labels{0, 1, 2, 0, 1, 2, 0, 1, 0, 0};
  std::vector<std::vector<size_t>> expected{{0, 3, 4, 5}, {6, 7, 8}, {1, 2, 9}};
  EXPECT_EQ(stratified_folds(labels, 3, 5), expected);
}

TEST(StratifiedFolds, EachFoldHoldsItsShareOfEveryClass) {
  // 60 of class 0, 30 of class 1, 10 of class 2, interleaved; k = 5 → 12 / 6 / 2 per fold.
  std::vector<int64_t> labels;
  for (int i = 0; i < 10; ++i) {
    for (int j = 0; j < 6; ++j) labels.push_back(0);
    for (int j = 0; j < 3; ++j) labels.push_back(1);
    labels.push_back(2);
  }
  for (const auto& fold : stratified_folds(labels, 5, 1)) {
    std::map<int64_t, int> counts;
    for (size_t index : fold) ++counts[labels[index]];
    EXPECT_EQ(counts[0], 12);
    EXPECT_EQ(counts[1], 6);
    EXPECT_EQ(counts[2], 2);
  }
}

TEST(StratifiedFolds, SplitIsTheFoldAndItsComplement) {
  std::vector<int64_t> labels{0, 1, 0, 1, 0, 1, 2, 2, 2, 0};
  auto folds = stratified_folds(labels, 3, 9);
  for (int f = 0; f < 3; ++f) {
    FoldSplit split = fold_split(labels, 3, 9, f);
    EXPECT_EQ(split.validation, folds[static_cast<size_t>(f)]);
    EXPECT_EQ(split.train.size() + split.validation.size(), labels.size());
    for (size_t index : split.validation)
      EXPECT_FALSE(std::binary_search(split.train.begin(), split.train.end(), index));
    EXPECT_TRUE(std::is_sorted(split.train.begin(), split.train.end()));
  }
}

TEST(StratifiedFolds, RejectsImpossibleK) {
  std::vector<int64_t> labels{0, 1, 2};
  EXPECT_THROW(stratified_folds(labels, 1, 0), std::invalid_argument);
  EXPECT_THROW(stratified_folds(labels, 4, 0), std::invalid_argument);
  EXPECT_THROW(fold_split(labels, 3, 0, 3), std::invalid_argument);
  EXPECT_NO_THROW(stratified_folds(labels, 3, 0));
}

}  // namespace
}  // namespace bitlab::lab
