#include "data/io/fashion_mnist_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "support/synthetic_dataset.h"

namespace bitlab::data {
namespace {

using ::testing::HasSubstr;

TEST(FashionMnistFiles, ReadsBothSplitsGzipOrPlain) {
  for (bool gzip : {true, false}) {
    testing::TempDir dir;
    testing::write_synthetic_fashion_mnist(dir.path(), {.train = 30, .test = 20, .gzip = gzip});
    auto train = read_fashion_mnist(dir.path(), Split::kTrain);
    auto test = read_fashion_mnist(dir.path(), Split::kTest);
    EXPECT_EQ(train.images.dims, (std::vector<int64_t>{30, 28, 28}));
    EXPECT_EQ(test.labels.count(), 20);
    EXPECT_EQ(train.labels.values[13], 3);
  }
}

TEST(FashionMnistFiles, CountMismatchNamesBothFiles) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir.path(), {.train = 30, .test = 20});
  write_idx(dir / "t10k-labels-idx1-ubyte.gz", IdxArray{{19}, std::vector<uint8_t>(19, 1)});
  try {
    read_fashion_mnist(dir.path(), Split::kTest);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("holds 20 images but"));
    EXPECT_THAT(e.what(), HasSubstr("t10k-labels-idx1-ubyte.gz holds 19 labels"));
  }
}

TEST(FashionMnistFiles, LabelOutOfRange) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir.path(), {.train = 4, .test = 4});
  write_idx(dir / "t10k-labels-idx1-ubyte.gz", IdxArray{{4}, {0, 1, 12, 3}});
  EXPECT_THROW(read_fashion_mnist(dir.path(), Split::kTest), DataError);
}

TEST(FashionMnistFiles, MissingFolder) {
  EXPECT_THROW(read_fashion_mnist("/nonexistent/bitlab", Split::kTrain), DataError);
}

// The real dataset, when installed (make test installs it): the published sizes.
TEST(FashionMnistFiles, InstalledDatasetHasPublishedSizes) {
  if (!std::filesystem::exists(kDefaultFashionMnistRoot)) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  auto test = read_fashion_mnist(kDefaultFashionMnistRoot, Split::kTest);
  EXPECT_EQ(test.images.dims, (std::vector<int64_t>{10000, 28, 28}));
  std::vector<int> per_class(10);
  for (uint8_t l : test.labels.values) per_class[l]++;
  for (int c : per_class) EXPECT_EQ(c, 1000);  // the test set is balanced
}

}  // namespace
}  // namespace bitlab::data
