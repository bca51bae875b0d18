#include "quant/dyadic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace bitlab::quant {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

TEST(ApproximateDyadic, NormalisesTheMultiplierIntoTheTopBit) {
  EXPECT_EQ(approximate_dyadic(0.5), (DyadicMultiplier{std::int64_t{1} << 30, 31}));
  EXPECT_EQ(approximate_dyadic(1.0), (DyadicMultiplier{std::int64_t{1} << 30, 30}));
  EXPECT_EQ(approximate_dyadic(3.0), (DyadicMultiplier{1610612736, 29}));  // 0.75 * 2^31
  EXPECT_EQ(approximate_dyadic(0.1, {.multiplier_bits = 16}), (DyadicMultiplier{52429, 19}));
  EXPECT_EQ(approximate_dyadic(0.75, {.multiplier_bits = 1}), (DyadicMultiplier{1, 0}));  // pure shift: 2^0
  EXPECT_EQ(approximate_dyadic(0.7, {.multiplier_bits = 1}), (DyadicMultiplier{1, 1}));
}

TEST(ApproximateDyadic, WorkedExampleOfTheSpec) {
  // docs/integer-spec.md §9.3: s_x = 0.05, s_w = 0.004, s_y = 0.1.
  const double real = requant_multiplier(0.05, 0.004, 0.1);
  EXPECT_DOUBLE_EQ(real, 0.002);
  const DyadicMultiplier dyadic = approximate_dyadic(real);
  EXPECT_EQ(dyadic, (DyadicMultiplier{1099511628, 39}));
  EXPECT_EQ(multiply_by_dyadic(12345, dyadic), 25);  // 24.69
  EXPECT_EQ(multiply_by_dyadic(-12345, dyadic), -25);
}

TEST(ApproximateDyadic, RenormalisesWhenRoundingCarriesIntoANewBit) {
  // 1 - 2^-40 needs 2^31 after rounding, one bit too many.
  EXPECT_EQ(approximate_dyadic(1.0 - std::ldexp(1.0, -40)), (DyadicMultiplier{std::int64_t{1} << 30, 30}));
}

TEST(ApproximateDyadic, HandlesLargeMultipliersUpToTheMultiplierWidth) {
  EXPECT_EQ(approximate_dyadic(65535.0, {.multiplier_bits = 16}), (DyadicMultiplier{65535, 0}));
  EXPECT_THAT([] { (void)approximate_dyadic(70000.0, {.multiplier_bits = 16}); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("below 2^16")));
  EXPECT_THROW((void)approximate_dyadic(65535.9, {.multiplier_bits = 16}), std::invalid_argument);  // rounds to 2^16
}

TEST(ApproximateDyadic, TinyMultipliersTradeMantissaBitsForTheShiftLimit) {
  EXPECT_EQ(approximate_dyadic(std::ldexp(1.0, -40)), (DyadicMultiplier{std::int64_t{1} << 22, 62}));
  EXPECT_EQ(approximate_dyadic(std::ldexp(3.0, -64)), (DyadicMultiplier{1, 62}));  // 0.75 rounds up to 1
  EXPECT_EQ(approximate_dyadic(std::ldexp(1.0, -10), {.max_shift = 31}),
            (DyadicMultiplier{std::int64_t{1} << 21, 31}));
  EXPECT_THAT([] { (void)approximate_dyadic(std::ldexp(1.0, -70)); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("rounds to 0")));
}

TEST(ApproximateDyadic, RejectsBadMultipliersAndOptions) {
  for (const double bad : {0.0, -0.5, std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_THROW((void)approximate_dyadic(bad), std::invalid_argument) << bad;
  }
  EXPECT_THROW((void)approximate_dyadic(0.5, {.multiplier_bits = 0}), std::invalid_argument);
  EXPECT_THROW((void)approximate_dyadic(0.5, {.multiplier_bits = 33}), std::invalid_argument);
  EXPECT_THROW((void)approximate_dyadic(0.5, {.max_shift = -1}), std::invalid_argument);
  EXPECT_THROW((void)approximate_dyadic(0.5, {.max_shift = 63}), std::invalid_argument);
}

TEST(MultiplyByDyadic, RoundsHalfTowardPlusInfinity) {
  const DyadicMultiplier quarter{std::int64_t{1} << 30, 32};  // exactly 0.25
  EXPECT_EQ(multiply_by_dyadic(6, quarter), 2);    // 1.5
  EXPECT_EQ(multiply_by_dyadic(-6, quarter), -1);  // -1.5: toward +inf, not away from zero
  EXPECT_EQ(multiply_by_dyadic(10, quarter), 3);   // 2.5: not to even
  EXPECT_EQ(multiply_by_dyadic(-10, quarter), -2);
  EXPECT_EQ(multiply_by_dyadic(-7, quarter), -2);  // -1.75
  EXPECT_EQ(multiply_by_dyadic(5, {3, 0}), 15);    // s = 0 adds no rounding term
}

TEST(MultiplyByDyadic, Uses128BitIntermediates) {
  // 2^62 * (2^31 - 1) overflows int64 by far; the shifted result does not.
  const DyadicMultiplier almost_one{(std::int64_t{1} << 31) - 1, 31};
  EXPECT_EQ(multiply_by_dyadic(std::int64_t{1} << 62, almost_one), (std::int64_t{1} << 62) - (std::int64_t{1} << 31));
  EXPECT_EQ(multiply_by_dyadic(-(std::int64_t{1} << 62), almost_one),
            -(std::int64_t{1} << 62) + (std::int64_t{1} << 31));
  EXPECT_EQ(multiply_by_dyadic(kInt64Max, {3, 0}), kInt64Max);  // saturates
  EXPECT_EQ(multiply_by_dyadic(kInt64Min, {3, 0}), kInt64Min);
}

TEST(OutputClamp, NarrowsTheSpecRangeForFusedActivations) {
  const QuantSpec int8{.bits = 8, .scales = {0.1}};
  const OutputClamp none = output_clamp(int8);
  EXPECT_EQ(none.lo, -128);
  EXPECT_EQ(none.hi, 127);
  EXPECT_EQ(output_clamp(int8, 0, FusedActivation::Relu).lo, 0);
  EXPECT_EQ(output_clamp(int8, 0, FusedActivation::Relu).hi, 127);
  EXPECT_EQ(output_clamp(int8, 0, FusedActivation::ReluCap, 6.0).hi, 60);
  EXPECT_EQ(output_clamp(int8, 0, FusedActivation::ReluCap, 100.0).hi, 127);

  const QuantSpec uint8{.bits = 8, .is_signed = false, .symmetric = false, .scales = {0.05}, .zero_points = {20}};
  EXPECT_EQ(output_clamp(uint8, 0, FusedActivation::Relu).lo, 20);
  EXPECT_EQ(output_clamp(uint8, 0, FusedActivation::ReluCap, 6.0).hi, 140);
  EXPECT_THROW((void)output_clamp(uint8, 0, FusedActivation::ReluCap, 0.0), std::invalid_argument);
  EXPECT_THROW((void)output_clamp(uint8, 1), std::out_of_range);
}

TEST(Requantiser, AddsTheZeroPointAndSaturates) {
  const QuantSpec out{.bits = 8, .symmetric = false, .scales = {0.1}, .zero_points = {-3}};
  const Requantiser requant = Requantiser::make(0.25, out);
  EXPECT_EQ(requant.multiplier, approximate_dyadic(0.25));
  EXPECT_EQ(requant.zero_point, -3);
  EXPECT_EQ(requant.apply(10), 0);     // 2.5 -> 3, + (-3)
  EXPECT_EQ(requant.apply(-6), -4);    // -1.5 -> -1, + (-3)
  EXPECT_EQ(requant.apply(1000), 127);
  EXPECT_EQ(requant.apply(-1000), -128);
  EXPECT_EQ(requant.apply(kInt64Max), 127);
  EXPECT_EQ(requant.apply(kInt64Min), -128);

  const Requantiser relu = Requantiser::make(0.25, out, 0, FusedActivation::Relu);
  EXPECT_EQ(relu.apply(-1000), -3);  // real 0
  EXPECT_EQ(relu.apply(40), 7);
}

TEST(RequantMultiplier, RejectsNonPositiveScales) {
  EXPECT_DOUBLE_EQ(requant_multiplier(0.5, 0.25, 2.0), 0.0625);
  EXPECT_THROW((void)requant_multiplier(0.0, 1.0, 1.0), std::invalid_argument);
  EXPECT_THROW((void)requant_multiplier(1.0, 1.0, -1.0), std::invalid_argument);
}

// ---- properties ------------------------------------------------------------

// M = (1 + t) * 2^e with t in [0, 1) and e in [min_exponent, bits), so M < 2^bits.
double arbitrary_multiplier(int bits, int min_exponent = -24) {
  const int exponent = *rc::gen::inRange(min_exponent, bits);
  const double fraction = *rc::gen::inRange(0, 1 << 30) / double(1 << 30);
  return std::ldexp(1.0 + fraction, exponent);
}

RC_GTEST_PROP(DyadicProperty, RelativeErrorIsBelowTwoToMinusBits, ()) {
  const int bits = *rc::gen::inRange(1, 33);
  const double real = arbitrary_multiplier(bits);
  RC_PRE(real < std::ldexp(1.0, bits) - 0.5);  // stays representable after rounding
  const DyadicMultiplier dyadic = approximate_dyadic(real, {.multiplier_bits = bits});
  RC_ASSERT(dyadic.multiplier >= (std::int64_t{1} << (bits - 1)));
  RC_ASSERT(dyadic.multiplier < (std::int64_t{1} << bits));
  RC_ASSERT(dyadic.shift >= 0);
  RC_ASSERT(std::fabs(dyadic.value() - real) / real <= std::ldexp(1.0, -bits));
}

RC_GTEST_PROP(DyadicProperty, RequantisedValueIsWithinOneOfTheRealProduct, ()) {
  const int bits = *rc::gen::element(8, 15, 16, 31);
  const double real = arbitrary_multiplier(std::min(bits, 4));
  const DyadicMultiplier dyadic = approximate_dyadic(real, {.multiplier_bits = bits});
  // "Within range": |x| M 2^-b <= 1/2 bounds the approximation error by 1/2.
  const double limit = std::min(std::ldexp(1.0, 31), std::ldexp(0.5, bits) / real);
  const auto x = static_cast<std::int64_t>(std::ldexp(static_cast<double>(*rc::gen::inRange(-(1 << 30), 1 << 30)), -30) * limit);
  const double exact = std::floor(static_cast<double>(x) * real + 0.5);
  RC_ASSERT(std::fabs(static_cast<double>(multiply_by_dyadic(x, dyadic)) - exact) <= 1.0);
}

RC_GTEST_PROP(DyadicProperty, MatchesFloat64SimulationWhileTheProductIsExact, ()) {
  // The training-side model: floor(x * m * 2^-s + 1/2) in float64 is exact
  // whenever |x| m + 2^(s-1) < 2^53 (§9.4); here |x| < 2^21, m < 2^31 and
  // M >= 2^-20 keeps s <= 51.
  const double real = arbitrary_multiplier(4, -20);
  const DyadicMultiplier dyadic = approximate_dyadic(real);
  const std::int64_t x = *rc::gen::inRange(-(1 << 21) + 1, 1 << 21);
  const double simulated = std::floor(static_cast<double>(x) * dyadic.value() + 0.5);
  RC_ASSERT(static_cast<double>(multiply_by_dyadic(x, dyadic)) == simulated);
}

RC_GTEST_PROP(DyadicProperty, RequantiserIsMonotoneAndStaysInsideItsClamp, ()) {
  const QuantSpec out{.bits = *rc::gen::inRange(2, 17),
                      .symmetric = false,
                      .scales = {0.1},
                      .zero_points = {*rc::gen::inRange(-1, 2)}};
  const auto activation = *rc::gen::element(FusedActivation::None, FusedActivation::Relu, FusedActivation::ReluCap);
  const Requantiser requant = Requantiser::make(arbitrary_multiplier(2), out, 0, activation, 3.0);
  std::int64_t a = *rc::gen::arbitrary<std::int64_t>();
  std::int64_t b = *rc::gen::arbitrary<std::int64_t>();
  if (b < a) std::swap(a, b);
  const std::int32_t ya = requant.apply(a);
  const std::int32_t yb = requant.apply(b);
  RC_ASSERT(ya <= yb);
  RC_ASSERT(ya >= requant.clamp.lo);
  RC_ASSERT(yb <= requant.clamp.hi);
  RC_ASSERT(requant.clamp.lo >= out.qmin());
  RC_ASSERT(requant.clamp.hi <= out.qmax());
}

}  // namespace
}  // namespace bitlab::quant
