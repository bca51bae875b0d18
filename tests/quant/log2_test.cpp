#include "quant/log2.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

namespace bitlab::quant {
namespace {

using ::testing::ElementsAre;

TEST(Log2Levels, FourBitsSpanSevenExponentsBelowTheMaximum) {
  const Log2Levels levels({.bits = 4, .max_exponent = 0});
  EXPECT_EQ(levels.min_exponent(), -6);
  EXPECT_THAT(levels.levels(), ElementsAre(-1.0f, -0.5f, -0.25f, -0.125f, -0.0625f, -0.03125f, -0.015625f, 0.0f,
                                           0.015625f, 0.03125f, 0.0625f, 0.125f, 0.25f, 0.5f, 1.0f));
}

TEST(Log2Levels, TwoBitsIsTernary) {
  const Log2Levels ternary({.bits = 2, .max_exponent = -1});
  EXPECT_EQ(ternary.min_exponent(), -1);
  EXPECT_THAT(ternary.levels(), ElementsAre(-0.5f, 0.0f, 0.5f));
  EXPECT_EQ(ternary.quantise(0.3f), 0.5f);
  EXPECT_EQ(ternary.quantise(0.25f), 0.0f);  // tie between 0 and 0.5 goes to zero
  EXPECT_EQ(ternary.quantise(-9.0f), -0.5f);
}

TEST(Log2Levels, EncodesSignMagnitude) {
  const Log2Levels levels({.bits = 4, .max_exponent = 0});
  EXPECT_EQ(levels.encode(1.0f), 0b0111u);
  EXPECT_EQ(levels.encode(-1.0f), 0b1111u);
  EXPECT_EQ(levels.encode(0.015625f), 0b0001u);
  EXPECT_EQ(levels.encode(-0.015625f), 0b1001u);
  EXPECT_EQ(levels.encode(0.0f), 0u);
  EXPECT_EQ(levels.encode(-0.0f), 0u);  // no negative-zero code
  EXPECT_EQ(levels.decode(0b1000u), 0.0f);
  EXPECT_EQ(levels.exponent_of(0b1110u), -1);
  EXPECT_THROW((void)levels.exponent_of(0u), std::invalid_argument);
  EXPECT_THROW((void)levels.decode(16u), std::invalid_argument);
}

TEST(Log2Levels, RoundsToTheNearestLevelInTheLinearDomain) {
  const Log2Levels levels({.bits = 4, .max_exponent = 0});
  EXPECT_EQ(levels.quantise(0.75f), 0.5f);  // exact midpoint: smaller magnitude
  EXPECT_EQ(levels.quantise(0.7501f), 1.0f);
  EXPECT_EQ(levels.quantise(0.7499f), 0.5f);
  EXPECT_EQ(levels.quantise(-0.3f), -0.25f);
  EXPECT_EQ(levels.quantise(-0.38f), -0.5f);
  EXPECT_EQ(levels.quantise(3.0f), 1.0f);                     // saturates
  EXPECT_EQ(levels.quantise(0.0078125f), 0.0f);               // 2^-7: midpoint to zero
  EXPECT_EQ(levels.quantise(0.0079f), 0.015625f);             // just above it
  EXPECT_EQ(levels.quantise(std::numeric_limits<float>::infinity()), 1.0f);
  EXPECT_EQ(levels.quantise(std::numeric_limits<float>::denorm_min()), 0.0f);
  EXPECT_THROW((void)levels.encode(std::numeric_limits<float>::quiet_NaN()), std::invalid_argument);
}

TEST(Log2Levels, RejectsBitsAndExponentRangesOutsideFloat) {
  EXPECT_THROW(Log2Levels({.bits = 1}), std::invalid_argument);
  EXPECT_THROW(Log2Levels({.bits = 17}), std::invalid_argument);
  EXPECT_NO_THROW(Log2Levels({.bits = 8, .max_exponent = 0}));  // exponents -126..0
  EXPECT_THROW(Log2Levels({.bits = 8, .max_exponent = -1}), std::invalid_argument);
  EXPECT_THROW(Log2Levels({.bits = 9, .max_exponent = 0}), std::invalid_argument);
  EXPECT_THROW(Log2Levels({.bits = 3, .max_exponent = 128}), std::invalid_argument);
}

rc::Gen<Log2Options> arbitrary_log2_options() {
  return rc::gen::exec([] {
    Log2Options options;
    options.bits = *rc::gen::inRange(2, 8);
    const int span = (1 << (options.bits - 1)) - 2;  // max - min
    options.max_exponent = *rc::gen::inRange(Log2Levels::kMinExponent + span, 20);
    return options;
  });
}

float arbitrary_value(const Log2Levels& levels) {
  // Log-uniform magnitudes from well below the smallest level to above the largest.
  const double exponent = *rc::gen::inRange(-4000, 4000) / 4000.0 *
                              (levels.max_exponent() - levels.min_exponent() + 4) / 2.0 +
                          (levels.max_exponent() + levels.min_exponent()) / 2.0;
  const float magnitude = static_cast<float>(std::exp2(exponent));
  return *rc::gen::arbitrary<bool>() ? -magnitude : magnitude;
}

RC_GTEST_PROP(Log2Property, QuantisedValuesArePowersOfTwoOrZero, ()) {
  const Log2Levels levels(*arbitrary_log2_options());
  const float x = arbitrary_value(levels);
  const float q = levels.quantise(x);
  if (q != 0.0f) {
    int exponent = 0;
    RC_ASSERT(std::frexp(std::fabs(q), &exponent) == 0.5f);
    RC_ASSERT(exponent - 1 >= levels.min_exponent());
    RC_ASSERT(exponent - 1 <= levels.max_exponent());
    RC_ASSERT(std::signbit(q) == std::signbit(x));
  }
}

RC_GTEST_PROP(Log2Property, QuantiseIsTheNearestLevel, ()) {
  const Log2Levels levels(*arbitrary_log2_options());
  const float x = arbitrary_value(levels);
  const double error = std::fabs(static_cast<double>(levels.quantise(x)) - x);
  for (const float level : levels.levels()) RC_ASSERT(error <= std::fabs(static_cast<double>(level) - x));
}

RC_GTEST_PROP(Log2Property, EveryLevelEncodesToItselfAndCodesAreDistinct, ()) {
  const Log2Levels levels(*arbitrary_log2_options());
  std::vector<std::uint32_t> seen;
  for (const float level : levels.levels()) {
    const std::uint32_t code = levels.encode(level);
    RC_ASSERT(code < (1u << levels.bits()));
    RC_ASSERT(levels.decode(code) == level);
    RC_ASSERT(std::find(seen.begin(), seen.end(), code) == seen.end());
    seen.push_back(code);
  }
}

}  // namespace
}  // namespace bitlab::quant
