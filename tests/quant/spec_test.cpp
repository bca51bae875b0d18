#include "quant/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>

namespace bitlab::quant {
namespace {

using ::testing::HasSubstr;

// Runs validate() and returns the message, failing if nothing is thrown.
std::string validation_error(const QuantSpec& spec) {
  try {
    spec.validate();
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  ADD_FAILURE() << "validate() accepted an invalid spec";
  return {};
}

TEST(QuantSpec, DefaultIsSignedEightBitPerTensor) {
  const QuantSpec spec;
  EXPECT_NO_THROW(spec.validate());
  EXPECT_EQ(spec.qmin(), -128);
  EXPECT_EQ(spec.qmax(), 127);
  EXPECT_EQ(spec.levels(), 256);
  EXPECT_EQ(spec.num_channels(), 1u);
  EXPECT_EQ(spec.zero_point(), 0);
  EXPECT_DOUBLE_EQ(spec.step(), 1.0);
}

TEST(QuantSpec, RangesForEverySignednessAndNarrowness) {
  EXPECT_EQ((QuantSpec{.bits = 8, .narrow_range = true}.qmin()), -127);
  EXPECT_EQ((QuantSpec{.bits = 8, .narrow_range = true}.qmax()), 127);
  EXPECT_EQ((QuantSpec{.bits = 8, .narrow_range = true}.levels()), 255);
  EXPECT_EQ((QuantSpec{.bits = 8, .is_signed = false}.qmin()), 0);
  EXPECT_EQ((QuantSpec{.bits = 8, .is_signed = false}.qmax()), 255);
  EXPECT_EQ((QuantSpec{.bits = 8, .is_signed = false, .narrow_range = true}.qmax()), 254);
  EXPECT_EQ((QuantSpec{.bits = 4}.qmin()), -8);
  EXPECT_EQ((QuantSpec{.bits = 4}.qmax()), 7);
  EXPECT_EQ((QuantSpec{.bits = 1}.qmin()), -1);
  EXPECT_EQ((QuantSpec{.bits = 1}.qmax()), 0);
  EXPECT_EQ((QuantSpec{.bits = 1, .is_signed = false}.qmax()), 1);
  EXPECT_EQ((QuantSpec{.bits = 2, .narrow_range = true}.qmin()), -1);
  EXPECT_EQ((QuantSpec{.bits = 16}.qmin()), -32768);
  EXPECT_EQ((QuantSpec{.bits = 16, .is_signed = false}.qmax()), 65535);
  EXPECT_EQ((QuantSpec{.bits = 16, .is_signed = false}.levels()), 65536);
}

TEST(QuantSpec, RejectsBitsOutsideOneToSixteen) {
  EXPECT_THAT(validation_error(QuantSpec{.bits = 0}), HasSubstr("bits = 0"));
  EXPECT_THAT(validation_error(QuantSpec{.bits = 17}), HasSubstr("[1, 16]"));
  EXPECT_THROW((void)(QuantSpec{.bits = 17}.qmax()), std::invalid_argument);
}

TEST(QuantSpec, RejectsNarrowRangeAtOneBit) {
  EXPECT_THAT(validation_error(QuantSpec{.bits = 1, .narrow_range = true}), HasSubstr("narrow_range"));
}

TEST(QuantSpec, RejectsScaleCountThatDoesNotMatchGranularity) {
  EXPECT_THAT(validation_error(QuantSpec{.scales = {1.0, 2.0}}), HasSubstr("per_tensor needs exactly 1"));
  EXPECT_THAT(validation_error(QuantSpec{.granularity = Granularity::PerChannel, .scales = {}}),
              HasSubstr("scales is empty"));
}

TEST(QuantSpec, RejectsNonPositiveOrNonFiniteScales) {
  EXPECT_THAT(validation_error(QuantSpec{.scales = {0.0}}), HasSubstr("scales[0]"));
  EXPECT_THAT(validation_error(QuantSpec{.scales = {-0.5}}), HasSubstr("> 0"));
  EXPECT_THAT(validation_error(QuantSpec{.granularity = Granularity::PerChannel,
                                         .scales = {1.0, std::numeric_limits<double>::infinity()}}),
              HasSubstr("scales[1]"));
  EXPECT_THAT(validation_error(QuantSpec{.scales = {std::numeric_limits<double>::quiet_NaN()}}),
              HasSubstr("finite"));
}

TEST(QuantSpec, PowerOfTwoScalesMustBeExact) {
  EXPECT_THAT(validation_error(QuantSpec{.scale_kind = ScaleKind::PowerOfTwo, .scales = {0.3}}),
              HasSubstr("power of two"));
  const QuantSpec spec{.scale_kind = ScaleKind::PowerOfTwo, .scales = {0.125}};
  EXPECT_NO_THROW(spec.validate());
  EXPECT_EQ(spec.scale_exponent(), -3);
  EXPECT_EQ((QuantSpec{.scale_kind = ScaleKind::PowerOfTwo, .scales = {8.0}}.scale_exponent()), 3);
  EXPECT_THROW((void)QuantSpec{}.scale_exponent(), std::invalid_argument);
}

TEST(QuantSpec, ZeroPointsMustBeZeroWhenSymmetric) {
  EXPECT_THAT(validation_error(QuantSpec{.zero_points = {3}}), HasSubstr("symmetric = true requires 0"));
}

TEST(QuantSpec, ZeroPointsMustLieInTheCodeRange) {
  EXPECT_THAT(validation_error(QuantSpec{.is_signed = false, .symmetric = false, .zero_points = {256}}),
              HasSubstr("[0, 255]"));
  EXPECT_THAT(validation_error(QuantSpec{.symmetric = false, .zero_points = {-129}}), HasSubstr("zero_points[0]"));
  const QuantSpec ok{.is_signed = false, .symmetric = false, .zero_points = {255}};
  EXPECT_NO_THROW(ok.validate());
  EXPECT_EQ(ok.zero_point(), 255);
}

TEST(QuantSpec, ZeroPointCountMustMatchScalesUnlessEmpty) {
  EXPECT_THAT(validation_error(QuantSpec{.symmetric = false,
                                         .granularity = Granularity::PerChannel,
                                         .scales = {1.0, 1.0, 1.0},
                                         .zero_points = {0, 1}}),
              HasSubstr("zero_points has 2 entries"));
  const QuantSpec empty_means_zero{.granularity = Granularity::PerChannel, .scales = {1.0, 2.0}};
  EXPECT_NO_THROW(empty_means_zero.validate());
  EXPECT_EQ(empty_means_zero.zero_point(1), 0);
  EXPECT_THROW((void)empty_means_zero.zero_point(2), std::out_of_range);
}

TEST(QuantSpec, PerChannelAxisMustNotBeNegative) {
  EXPECT_THAT(validation_error(QuantSpec{.granularity = Granularity::PerChannel, .axis = -1, .scales = {1.0}}),
              HasSubstr("axis = -1"));
}

TEST(QuantSpec, EnumNamesRoundTripAndUnknownNamesListTheAllowedOnes) {
  for (const auto g : {Granularity::PerTensor, Granularity::PerChannel}) {
    EXPECT_EQ(granularity_from_string(to_string(g)), g);
  }
  for (const auto k : {ScaleKind::Float, ScaleKind::PowerOfTwo}) {
    EXPECT_EQ(scale_kind_from_string(to_string(k)), k);
  }
  try {
    (void)granularity_from_string("per_row");
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& error) {
    EXPECT_THAT(error.what(), HasSubstr("per_channel"));
  }
  EXPECT_THROW((void)scale_kind_from_string("log"), std::invalid_argument);
}

TEST(IsPowerOfTwo, AcceptsOnlyExactPositivePowers) {
  EXPECT_TRUE(is_power_of_two(1.0));
  EXPECT_TRUE(is_power_of_two(0.0078125));
  EXPECT_TRUE(is_power_of_two(1024.0));
  EXPECT_FALSE(is_power_of_two(0.0));
  EXPECT_FALSE(is_power_of_two(-2.0));
  EXPECT_FALSE(is_power_of_two(3.0));
  EXPECT_FALSE(is_power_of_two(std::numeric_limits<double>::infinity()));
}

RC_GTEST_PROP(QuantSpecProperty, LevelCountFollowsFromBitsAndNarrowness, ()) {
  const int bits = *rc::gen::inRange(2, 17);
  const bool is_signed = *rc::gen::arbitrary<bool>();
  const bool narrow = *rc::gen::arbitrary<bool>();
  const QuantSpec spec{.bits = bits, .is_signed = is_signed, .narrow_range = narrow};
  const std::int64_t full = std::int64_t{1} << bits;
  RC_ASSERT(spec.levels() == (narrow ? full - 1 : full));
  RC_ASSERT(spec.levels() == std::int64_t{spec.qmax()} - spec.qmin() + 1);
  if (is_signed && narrow) RC_ASSERT(spec.qmin() == -spec.qmax());
  if (!is_signed) RC_ASSERT(spec.qmin() == 0);
}

}  // namespace
}  // namespace bitlab::quant
