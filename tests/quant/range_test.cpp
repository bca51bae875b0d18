#include "quant/range.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "quant/uniform.h"

namespace bitlab::quant {
namespace {

TEST(FitRange, SymmetricSignedUsesTheLargerMagnitudeOverQmax) {
  const QuantSpec spec = fit_range(QuantSpec{.bits = 8}, -1.0, 2.54);
  EXPECT_DOUBLE_EQ(spec.step(), 2.54 / 127);
  EXPECT_EQ(spec.zero_point(), 0);
  EXPECT_EQ(quantise_value(2.54f, spec), 127);
}

TEST(FitRange, SymmetricUnsignedCoversOnlyThePositiveSide) {
  const QuantSpec spec = fit_range(QuantSpec{.bits = 4, .is_signed = false}, -3.0, 1.5);
  EXPECT_DOUBLE_EQ(spec.step(), 0.1);
  EXPECT_EQ(quantise_value(-3.0f, spec), 0);
}

TEST(FitRange, AffinePlacesAnIntegerZeroPoint) {
  // s = 4 / 255, z = 0 - round(-1 / s) = round(63.75) = 64.
  const QuantSpec spec = fit_range(QuantSpec{.bits = 8, .is_signed = false, .symmetric = false}, -1.0, 3.0);
  EXPECT_DOUBLE_EQ(spec.step(), 4.0 / 255);
  EXPECT_EQ(spec.zero_point(), 64);
  EXPECT_EQ(quantise_value(0.0f, spec), 64);
}

TEST(FitRange, WidensTheRangeToIncludeZero) {
  const QuantSpec spec = fit_range(QuantSpec{.bits = 8, .is_signed = false, .symmetric = false}, 2.0, 4.0);
  EXPECT_EQ(spec.zero_point(), 0);
  EXPECT_DOUBLE_EQ(spec.step(), 4.0 / 255);
}

TEST(FitRange, PowerOfTwoRoundsTheScaleUp) {
  const QuantSpec spec = fit_range(QuantSpec{.bits = 8, .scale_kind = ScaleKind::PowerOfTwo}, -1.0, 1.0);
  EXPECT_EQ(spec.step(), 1.0 / 64);  // 1/127 rounded up
  EXPECT_EQ(fit_range(QuantSpec{.bits = 3, .scale_kind = ScaleKind::PowerOfTwo}, 0.0, 1.5).step(), 0.5);
}

TEST(FitRange, AllZeroRangeGetsUnitScale) {
  EXPECT_EQ(fit_range(QuantSpec{}, 0.0, 0.0).step(), 1.0);
}

TEST(FitRange, PerChannelFitsEachChannel) {
  const QuantSpec format{.bits = 8, .granularity = Granularity::PerChannel, .axis = 0};
  const std::vector<double> mins = {-1.0, -0.5};
  const std::vector<double> maxs = {1.0, 0.25};
  const QuantSpec spec = fit_range(format, mins, maxs);
  ASSERT_EQ(spec.num_channels(), 2u);
  EXPECT_DOUBLE_EQ(spec.step(0), 1.0 / 127);
  EXPECT_DOUBLE_EQ(spec.step(1), 0.5 / 127);
}

TEST(FitRange, RejectsBadRangesAndMismatchedGranularity) {
  EXPECT_THROW((void)fit_range(QuantSpec{}, 1.0, -1.0), std::invalid_argument);
  EXPECT_THROW((void)fit_range(QuantSpec{}, 0.0, std::nan("")), std::invalid_argument);
  EXPECT_THROW((void)fit_range(QuantSpec{.bits = 1}, -1.0, 1.0), std::invalid_argument);
  const std::vector<double> one = {1.0};
  const std::vector<double> two = {1.0, 2.0};
  EXPECT_THROW((void)fit_range(QuantSpec{}, one, one), std::invalid_argument);
  const QuantSpec per_channel{.granularity = Granularity::PerChannel};
  EXPECT_THROW((void)fit_range(per_channel, one, two), std::invalid_argument);
  EXPECT_THROW((void)fit_range(per_channel, 0.0, 1.0), std::invalid_argument);
}

RC_GTEST_PROP(FitRangeProperty, FittedSpecCoversTheRangeWithinHalfAStep, ()) {
  const QuantSpec format{.bits = *rc::gen::inRange(2, 17),
                         .is_signed = *rc::gen::arbitrary<bool>(),
                         .narrow_range = *rc::gen::arbitrary<bool>(),
                         .symmetric = *rc::gen::arbitrary<bool>(),
                         .scale_kind = *rc::gen::element(ScaleKind::Float, ScaleKind::PowerOfTwo)};
  // Multiples of 2^-10 are exact floats, so x and float(x) coincide.
  const double a = *rc::gen::inRange(-100000, 100000) / 1024.0;
  const double b = *rc::gen::inRange(-100000, 100000) / 1024.0;
  const double lo = std::min(a, b);
  const double hi = std::max(a, b);
  const QuantSpec spec = fit_range(format, lo, hi);
  RC_ASSERT(quantise_value(0.0f, spec) == spec.zero_point());
  // Every value the format can represent in sign must survive the round trip;
  // unsigned symmetric formats deliberately drop negatives.
  const bool negatives_dropped = format.symmetric && !format.is_signed;
  for (const double x : {lo, hi, 0.5 * (lo + hi)}) {
    if (negatives_dropped && x < 0) continue;
    const auto xf = static_cast<float>(x);
    const double error = std::fabs(dequantise_value(quantise_value(xf, spec), spec) - xf);
    RC_ASSERT(error <= 0.5 * spec.step() * (1 + 1e-9) + 1e-12);
  }
}

}  // namespace
}  // namespace bitlab::quant
