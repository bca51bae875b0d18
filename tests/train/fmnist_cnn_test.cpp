#include "zoo/fmnist_cnn.h"

#include <gtest/gtest.h>

namespace bitlab::zoo {
namespace {

TEST(FmnistCnn, OutputShapeAndNamedLayers) {
  FmnistCnn net(FmnistCnnOptions{});
  auto y = net->forward(torch::randn({3, 1, 28, 28}));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{3, 10}));
  auto names = net->named_modules().keys();
  auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  EXPECT_TRUE(has("features.conv0_0"));
  EXPECT_TRUE(has("features.bn1_0"));
  EXPECT_TRUE(has("classifier.fc_out"));
}

TEST(FmnistCnn, MacCountMatchesHandComputation) {
  // conv0: 28*28*32*1*9, conv1: 14*14*64*32*9, fc0: 64*7*7*128, fc_out: 128*10
  int64_t expected = 28 * 28 * 32 * 9 + 14 * 14 * 64 * 32 * 9 + 64 * 7 * 7 * 128 + 128 * 10;
  EXPECT_EQ(count_macs(FmnistCnnOptions{}), expected);
  FmnistCnnOptions deep;
  deep.channels = {8};
  deep.convs_per_block = 2;
  deep.hidden = 0;
  EXPECT_EQ(count_macs(deep), 28 * 28 * 8 * 9 + 28 * 28 * 8 * 8 * 9 + 8 * 14 * 14 * 10);
  FmnistCnn net(deep);
  EXPECT_EQ(net->forward(torch::randn({1, 1, 28, 28})).sizes(), (std::vector<int64_t>{1, 10}));
}

TEST(FmnistCnn, TooManyBlocksIsAClearError) {
  FmnistCnnOptions o;
  o.channels = {4, 4, 4, 4, 4, 4};
  EXPECT_THROW(FmnistCnn{o}, std::invalid_argument);
}

}  // namespace
}  // namespace bitlab::zoo
