#include "data/fashion_mnist.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "support/synthetic_dataset.h"

namespace bitlab::data {
namespace {

TEST(FashionMnistDataset, NormalisesAndLimits) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir.path(), {.train = 40, .test = 10});
  FashionMnist train({.root = dir.path().string(), .split = Split::kTrain, .limit = 25, .mean = 0.5, .std = 0.25});
  EXPECT_EQ(train.images().sizes(), (std::vector<int64_t>{25, 1, 28, 28}));
  EXPECT_EQ(train.labels().dtype(), torch::kInt64);
  EXPECT_EQ(*train.size(), 25u);
  // Raw bytes are in [20, 240) by construction: normalised range follows the formula.
  double lo = (20.0 / 255 - 0.5) / 0.25, hi = (240.0 / 255 - 0.5) / 0.25;
  EXPECT_GE(train.images().min().item<double>(), lo - 1e-5);
  EXPECT_LE(train.images().max().item<double>(), hi + 1e-5);
  auto example = train.get(13);
  EXPECT_EQ(example.target.item<int64_t>(), 3);
  EXPECT_EQ(example.data.sizes(), (std::vector<int64_t>{1, 28, 28}));
}

TEST(FashionMnistDataset, WorksWithTorchDataLoader) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir.path(), {.train = 20, .test = 10});
  auto dataset = FashionMnist({.root = dir.path().string(), .split = Split::kTest})
                     .map(torch::data::transforms::Stack<>());
  auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(std::move(dataset), 4);
  int64_t seen = 0;
  for (auto& batch : *loader) seen += batch.data.size(0);
  EXPECT_EQ(seen, 10);
}

TEST(FashionMnistDataset, MissingRootIsDataError) {
  EXPECT_THROW(FashionMnist({.root = "/nonexistent"}), DataError);
}

}  // namespace
}  // namespace bitlab::data
