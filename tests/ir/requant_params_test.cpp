#include "ir/requant_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace bitlab::ir {
namespace {

TEST(MakeRequant, OneDyadicMultiplierPerChannel) {
  const std::vector<double> m = {0.002, 0.25};
  const RequantAttrs a = make_requant(m, {0, 127}, 1);
  ASSERT_EQ(a.multipliers.size(), 2u);
  EXPECT_EQ(a.multipliers[0], (quant::DyadicMultiplier{1099511628, 39}));  // §9.3
  EXPECT_EQ(a.multipliers[1], (quant::DyadicMultiplier{std::int64_t{1} << 30, 32}));
  EXPECT_EQ(a.lo, 0);
  EXPECT_EQ(a.hi, 127);
  EXPECT_EQ(make_requant(std::vector<double>{0.1}, {0, 1}, 1, {.multiplier_bits = 16}).multipliers[0],
            (quant::DyadicMultiplier{52429, 19}));
}

TEST(MakeAddRequant, SharesTheShiftOfTheLargestMultiplier) {
  // M_a = 0.1 / 0.25 = 0.4, M_b = 0.3 / 0.25 = 1.2 = 0.6 · 2^1: s = 31 − 1 = 30.
  const std::vector<double> scales = {0.1, 0.3};
  const AddRequant a = make_add_requant(scales, 0.25, {-128, 127});
  EXPECT_EQ(a.shift, 30);
  EXPECT_EQ(a.multipliers, (std::vector<std::int64_t>{429496730, 1288490189}));  // round(0.4·2^30), round(0.6·2^31)
  EXPECT_EQ(a.lo, -128);
  EXPECT_EQ(a.hi, 127);
  // The largest input keeps multiplier_bits significant bits, the smaller ones fewer.
  const AddRequant b = make_add_requant(std::vector<double>{1.0, 0.3, 1.0 / 64}, 1.0, {0, 255}, {.multiplier_bits = 8});
  EXPECT_EQ(b.shift, 7);                                                  // 1.0 = 0.5 · 2^1: m = 128, s = 8 − 1
  EXPECT_EQ(b.multipliers, (std::vector<std::int64_t>{128, 38, 2}));      // 0.3 · 128 = 38.4, 2^−6 · 2^7 = 2
}

TEST(MakeAddRequant, RefusesInputsBelowTheOutputResolution) {
  EXPECT_THAT([] { (void)make_add_requant(std::vector<double>{1.0, 1e-12}, 1.0, {0, 255}); },
              ::testing::ThrowsMessage<std::invalid_argument>(::testing::HasSubstr("rounds to multiplier 0")));
  EXPECT_THROW((void)make_add_requant(std::vector<double>{1.0}, 1.0, {0, 255}), std::invalid_argument);
  EXPECT_THROW((void)make_add_requant(std::vector<double>{1.0, -1.0}, 1.0, {0, 255}), std::invalid_argument);
}

}  // namespace
}  // namespace bitlab::ir
