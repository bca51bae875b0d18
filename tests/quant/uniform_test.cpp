#include "quant/uniform.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "quant/layout.h"

namespace bitlab::quant {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- hand-computed examples ----------------------------------------------

TEST(Quantise, SymmetricInt8WithEachRoundingMode) {
  const QuantSpec spec{.bits = 8, .scales = {0.5}};
  // 1.25 / 0.5 = 2.5 and -1.25 / 0.5 = -2.5 are exact ties.
  EXPECT_EQ(quantise_value(1.25f, spec), 2);
  EXPECT_EQ(quantise_value(-1.25f, spec), -2);
  EXPECT_EQ(quantise_value(1.25f, spec, 0, {.rounding = RoundingMode::HalfAwayFromZero}), 3);
  EXPECT_EQ(quantise_value(-1.25f, spec, 0, {.rounding = RoundingMode::HalfAwayFromZero}), -3);
  EXPECT_EQ(quantise_value(1.25f, spec, 0, {.rounding = RoundingMode::Floor}), 2);
  EXPECT_EQ(quantise_value(-1.25f, spec, 0, {.rounding = RoundingMode::Floor}), -3);
  EXPECT_EQ(quantise_value(1.26f, spec), 3);
  EXPECT_EQ(quantise_value(0.0f, spec), 0);
}

TEST(Quantise, SaturatesToTheCodeRange) {
  const QuantSpec spec{.bits = 8, .scales = {0.5}};
  EXPECT_EQ(quantise_value(100.0f, spec), 127);
  EXPECT_EQ(quantise_value(-100.0f, spec), -128);
  EXPECT_EQ(quantise_value(std::numeric_limits<float>::infinity(), spec), 127);
  EXPECT_EQ(quantise_value(-std::numeric_limits<float>::infinity(), spec), -128);
  const QuantSpec narrow{.bits = 8, .narrow_range = true, .scales = {0.5}};
  EXPECT_EQ(quantise_value(-100.0f, narrow), -127);
  const QuantSpec nibble{.bits = 4, .scales = {1.0}};
  EXPECT_EQ(quantise_value(7.4f, nibble), 7);
  EXPECT_EQ(quantise_value(7.6f, nibble), 7);
  EXPECT_EQ(quantise_value(-8.6f, nibble), -8);
}

TEST(Quantise, AffineUnsignedShiftsByTheZeroPoint) {
  const QuantSpec spec{.bits = 8, .is_signed = false, .symmetric = false, .scales = {0.1}, .zero_points = {10}};
  EXPECT_EQ(quantise_value(0.0f, spec), 10);
  EXPECT_EQ(quantise_value(-1.0f, spec), 0);
  EXPECT_EQ(quantise_value(-1.5f, spec), 0);
  EXPECT_EQ(quantise_value(2.0f, spec), 30);
  EXPECT_EQ(quantise_value(30.0f, spec), 255);
  EXPECT_FLOAT_EQ(static_cast<float>(dequantise_value(0, spec)), -1.0f);
  EXPECT_EQ(dequantise_value(10, spec), 0.0);
  EXPECT_DOUBLE_EQ(dequantise_value(255, spec), 24.5);
}

TEST(Quantise, PowerOfTwoScaleIsExact) {
  const QuantSpec spec{.bits = 8, .scale_kind = ScaleKind::PowerOfTwo, .scales = {0.25}};
  EXPECT_EQ(quantise_value(1.75f, spec), 7);
  EXPECT_EQ(quantise_value(0.125f, spec), 0);  // 0.5 ties to even 0
  EXPECT_EQ(quantise_value(0.375f, spec), 2);  // 1.5 ties to even 2
  EXPECT_EQ(dequantise_value(-3, spec), -0.75);
}

TEST(Quantise, RejectsNaNAndMissingGenerator) {
  const QuantSpec spec;
  EXPECT_THROW((void)quantise_value(std::numeric_limits<float>::quiet_NaN(), spec), std::invalid_argument);
  const std::vector<float> values = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  try {
    (void)quantise(values, spec);
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& error) {
    EXPECT_THAT(error.what(), HasSubstr("index 1"));
  }
  EXPECT_THROW((void)quantise_value(1.0f, spec, 0, {.rounding = RoundingMode::Stochastic}), std::invalid_argument);
}

TEST(Quantise, ValidatesTheSpec) {
  EXPECT_THROW((void)quantise_value(1.0f, QuantSpec{.bits = 20}), std::invalid_argument);
  const std::vector<float> values = {1.0f};
  EXPECT_THROW((void)quantise(values, QuantSpec{.scales = {-1.0}}), std::invalid_argument);
}

TEST(Dequantise, RejectsCodesOutsideTheRange) {
  const QuantSpec spec{.bits = 4};
  EXPECT_THROW((void)dequantise_value(8, spec), std::invalid_argument);
  EXPECT_THROW((void)dequantise_value(-9, spec), std::invalid_argument);
  const std::vector<std::int32_t> codes = {0, 1, 99};
  try {
    (void)dequantise(codes, spec);
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& error) {
    EXPECT_THAT(error.what(), HasSubstr("index 2"));
  }
}

TEST(Quantise, BufferMatchesScalarPerTensor) {
  const QuantSpec spec{.bits = 3, .scales = {0.25}};
  const std::vector<float> values = {-2.0f, -0.3f, 0.0f, 0.12f, 0.13f, 0.9f, 5.0f};
  EXPECT_THAT(quantise(values, spec), ElementsAre(-4, -1, 0, 0, 1, 3, 3));
  const std::vector<std::int32_t> codes = {-4, -1, 0, 3};
  EXPECT_THAT(dequantise(codes, spec), ElementsAre(-1.0f, -0.25f, 0.0f, 0.75f));
  EXPECT_THAT(fake_quantise(values, std::vector<std::int64_t>{7}, spec),
              ElementsAre(-1.0f, -0.25f, 0.0f, 0.0f, 0.25f, 0.75f, 0.75f));
}

TEST(Quantise, PerChannelAlongTheFirstAxis) {
  const QuantSpec spec{.granularity = Granularity::PerChannel, .axis = 0, .scales = {1.0, 0.5}};
  const std::vector<std::int64_t> shape = {2, 3};
  const std::vector<float> values = {1.4f, 2.6f, -3.0f, 1.4f, 2.6f, -3.0f};
  const auto codes = quantise(values, shape, spec);
  EXPECT_THAT(codes, ElementsAre(1, 3, -3, 3, 5, -6));
  EXPECT_THAT(dequantise(codes, shape, spec), ElementsAre(1.0f, 3.0f, -3.0f, 1.5f, 2.5f, -3.0f));
}

TEST(Quantise, PerChannelAlongAnInnerAxisWithAffineZeroPoints) {
  // Shape [2, 3, 2], axis 1: element (n, c, k) is at flat 6n + 2c + k.
  const QuantSpec spec{.bits = 8,
                       .is_signed = false,
                       .symmetric = false,
                       .granularity = Granularity::PerChannel,
                       .axis = 1,
                       .scales = {1.0, 2.0, 4.0},
                       .zero_points = {0, 10, 100}};
  const std::vector<std::int64_t> shape = {2, 3, 2};
  const std::vector<float> values(12, 8.0f);
  EXPECT_THAT(quantise(values, shape, spec), ElementsAre(8, 8, 14, 14, 102, 102, 8, 8, 14, 14, 102, 102));
}

TEST(Quantise, PerChannelRejectsShapesThatDoNotFit) {
  const QuantSpec spec{.granularity = Granularity::PerChannel, .axis = 1, .scales = {1.0, 1.0}};
  const std::vector<float> values(6, 0.0f);
  EXPECT_THAT(
      [&] { (void)quantise(values, std::vector<std::int64_t>{2, 3}, spec); },
      ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("spec has 2 channels")));
  EXPECT_THAT([&] { (void)quantise(values, std::vector<std::int64_t>{2, 2}, spec); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("buffer has 6")));
  EXPECT_THAT([&] { (void)quantise(values, std::vector<std::int64_t>{6}, spec); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("axis = 1")));
  EXPECT_THAT([&] { (void)quantise(values, spec); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("takes a shape")));
  EXPECT_THROW((void)quantise(values, std::vector<std::int64_t>{3, -2}, QuantSpec{}), std::invalid_argument);
}

TEST(Quantise, StochasticDrawsOnceForEveryElementInOrder) {
  const QuantSpec spec{.bits = 2, .scales = {1.0}};
  const std::vector<float> values = {0.5f, 100.0f, -0.25f, 1.5f};
  Generator generator(99);
  const auto codes = quantise(values, spec, {.rounding = RoundingMode::Stochastic, .generator = &generator});

  Generator reference(99);
  std::vector<std::int32_t> expected;
  for (const float v : values) {
    const double r = round_stochastic(v, uniform_unit(reference));  // the clamped 100 still draws
    expected.push_back(static_cast<std::int32_t>(std::clamp(r, -2.0, 1.0)));
  }
  EXPECT_EQ(codes, expected);
  EXPECT_EQ(generator(), reference());
}

TEST(ChannelLayout, MapsFlatIndicesToChannels) {
  const std::vector<std::int64_t> shape = {2, 3, 4};
  const ChannelLayout layout(shape, 1);
  EXPECT_EQ(layout.num_elements(), 24u);
  EXPECT_EQ(layout.num_channels(), 3u);
  EXPECT_EQ(layout.inner_size(), 4u);
  EXPECT_EQ(layout.channel_of(0), 0u);
  EXPECT_EQ(layout.channel_of(4), 1u);
  EXPECT_EQ(layout.channel_of(11), 2u);
  EXPECT_EQ(layout.channel_of(12), 0u);
  EXPECT_EQ(ChannelLayout(shape, 2).channel_of(13), 1u);
  EXPECT_THROW(ChannelLayout(shape, 3), std::invalid_argument);
  EXPECT_THROW(ChannelLayout(std::vector<std::int64_t>{}, 0), std::invalid_argument);
}

// ---- properties ------------------------------------------------------------

// A valid per-tensor spec with a scale between 2^-20 and 2^4.
rc::Gen<QuantSpec> arbitrary_spec() {
  return rc::gen::exec([] {
    QuantSpec spec;
    spec.bits = *rc::gen::inRange(2, 17);
    spec.is_signed = *rc::gen::arbitrary<bool>();
    spec.narrow_range = *rc::gen::arbitrary<bool>();
    spec.symmetric = *rc::gen::arbitrary<bool>();
    spec.scale_kind = *rc::gen::element(ScaleKind::Float, ScaleKind::PowerOfTwo);
    const int exponent = *rc::gen::inRange(-20, 5);
    const double mantissa =
        spec.scale_kind == ScaleKind::PowerOfTwo ? 1.0 : 1.0 + *rc::gen::inRange(0, 1 << 20) / double(1 << 20);
    spec.scales = {std::ldexp(mantissa, exponent)};
    if (!spec.symmetric) spec.zero_points = {*rc::gen::inRange(spec.qmin(), spec.qmax() + 1)};
    return spec;
  });
}

// Real interval that the codes cover: [s (qmin - z), s (qmax - z)].
struct RealRange {
  double lo;
  double hi;
};

RealRange real_range(const QuantSpec& spec) {
  const double s = spec.step();
  return {s * (spec.qmin() - spec.zero_point()), s * (spec.qmax() - spec.zero_point())};
}

// A float at a random position in [lo - margin, hi + margin].
float value_around(const RealRange& range, double margin) {
  const double t = *rc::gen::inRange(0, (1 << 24) + 1) / double(1 << 24);
  return static_cast<float>(range.lo - margin + t * (range.hi - range.lo + 2 * margin));
}

RC_GTEST_PROP(QuantiseProperty, RoundTripErrorIsAtMostHalfAStepInsideTheRange, ()) {
  const QuantSpec spec = *arbitrary_spec();
  const auto range = real_range(spec);
  const float x = value_around(range, 0.0);
  RC_PRE(x >= range.lo && x <= range.hi);  // float rounding may step just outside
  const auto mode = *rc::gen::element(RoundingMode::HalfToEven, RoundingMode::HalfAwayFromZero, RoundingMode::Floor);
  const double error = std::fabs(dequantise_value(quantise_value(x, spec, 0, {.rounding = mode}), spec) - x);
  // Floor may be off by up to a whole step; the nearest modes by half. The
  // slack covers the two float64 roundings in x / s and s * (q - z).
  const double bound = (mode == RoundingMode::Floor ? 1.0 : 0.5) * spec.step() * (1.0 + 1e-12);
  RC_ASSERT(error <= bound);
}

RC_GTEST_PROP(QuantiseProperty, ValuesBeyondTheRangeClampToTheEndCodes, ()) {
  const QuantSpec spec = *arbitrary_spec();
  const auto range = real_range(spec);
  const double beyond = spec.step() * (1.0 + *rc::gen::inRange(0, 1000) / 10.0);
  const auto high = static_cast<float>(range.hi + beyond);
  const auto low = static_cast<float>(range.lo - beyond);
  RC_PRE(high > range.hi + spec.step() && low < range.lo - spec.step());
  RC_ASSERT(quantise_value(high, spec) == spec.qmax());
  RC_ASSERT(quantise_value(low, spec) == spec.qmin());
}

RC_GTEST_PROP(QuantiseProperty, IsMonotoneNonDecreasing, ()) {
  const QuantSpec spec = *arbitrary_spec();
  const auto range = real_range(spec);
  const double margin = 2 * spec.step();
  float a = value_around(range, margin);
  float b = value_around(range, margin);
  if (b < a) std::swap(a, b);
  for (const auto mode : {RoundingMode::HalfToEven, RoundingMode::HalfAwayFromZero, RoundingMode::Floor}) {
    RC_ASSERT(quantise_value(a, spec, 0, {.rounding = mode}) <= quantise_value(b, spec, 0, {.rounding = mode}));
  }
}

RC_GTEST_PROP(QuantiseProperty, ZeroIsExactlyRepresentable, ()) {
  const QuantSpec spec = *arbitrary_spec();
  for (const float zero : {0.0f, -0.0f}) {
    const std::int32_t code = quantise_value(zero, spec);
    RC_ASSERT(code == spec.zero_point());
    RC_ASSERT(dequantise_value(code, spec) == 0.0);
  }
}

RC_GTEST_PROP(QuantiseProperty, PerChannelBufferMatchesScalarPerChannel, ()) {
  const int rank = *rc::gen::inRange(1, 4);
  std::vector<std::int64_t> shape;
  for (int d = 0; d < rank; ++d) shape.push_back(*rc::gen::inRange(1, 5));
  const int axis = *rc::gen::inRange(0, rank);
  const auto channels = static_cast<std::size_t>(shape[static_cast<std::size_t>(axis)]);

  QuantSpec spec{.bits = 6, .symmetric = false, .granularity = Granularity::PerChannel, .axis = axis};
  spec.scales.clear();
  for (std::size_t c = 0; c < channels; ++c) {
    spec.scales.push_back(std::ldexp(1.0 + *rc::gen::inRange(0, 256) / 256.0, *rc::gen::inRange(-6, 2)));
    spec.zero_points.push_back(*rc::gen::inRange(-32, 32));
  }
  const ChannelLayout layout(shape, axis);
  std::vector<float> values(layout.num_elements());
  for (auto& v : values) v = static_cast<float>(*rc::gen::inRange(-4000, 4000) / 100.0);

  const auto codes = quantise(values, shape, spec);
  const auto restored = dequantise(codes, shape, spec);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::size_t c = layout.channel_of(i);
    RC_ASSERT(codes[i] == quantise_value(values[i], spec, c));
    RC_ASSERT(restored[i] == static_cast<float>(dequantise_value(codes[i], spec, c)));
  }
}

}  // namespace
}  // namespace bitlab::quant
