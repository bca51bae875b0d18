// Hardware-width emulation (docs/integer-spec.md §15), on hand-computed cases.
#include "runtime/hardware_widths.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "ir/requant_params.h"
#include "op_graph.h"
#include "runtime/reference.h"

namespace bitlab::runtime {
namespace {

using namespace testing;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
using ir::OpKind;

TEST(HardwareWidths, NarrowSaturatesOrWraps) {
  EXPECT_EQ(narrow_to(200, 8, Overflow::Saturate), 127);
  EXPECT_EQ(narrow_to(200, 8, Overflow::Wrap), -56);  // 200 − 256
  EXPECT_EQ(narrow_to(-129, 8, Overflow::Saturate), -128);
  EXPECT_EQ(narrow_to(-129, 8, Overflow::Wrap), 127);
  EXPECT_EQ(narrow_to(70000, 16, Overflow::Wrap), 70000 - 65536);
  EXPECT_EQ(narrow_to(-5, 8, Overflow::Wrap), -5);
  EXPECT_EQ(narrow_to(std::int64_t{1} << 62, 63, Overflow::Wrap), -(std::int64_t{1} << 62));
  EXPECT_EQ(narrow_to(-(std::int64_t{1} << 62) - 1, 63, Overflow::Wrap), (std::int64_t{1} << 62) - 1);
  EXPECT_EQ(narrow_to(std::int64_t{1} << 62, 63, Overflow::Saturate), (std::int64_t{1} << 62) - 1);
  EXPECT_EQ(narrow_to(std::int64_t{1} << 40, 64, Overflow::Saturate), std::int64_t{1} << 40);
  EXPECT_THROW((void)narrow_to(1, 1, Overflow::Wrap), std::invalid_argument);
}

TEST(HardwareWidths, TruncatesScalesToTheirSignificantBits) {
  EXPECT_EQ(truncate_to_bits(0.75, 1), (FixedPointFactor{1, 1}));    // 0.5
  EXPECT_EQ(truncate_to_bits(0.75, 2), (FixedPointFactor{3, 2}));    // exact
  EXPECT_EQ(truncate_to_bits(0.1, 4), (FixedPointFactor{12, 7}));    // 0.8·16 = 12.8 → 12: 12/128 = 0.09375
  EXPECT_EQ(truncate_to_bits(10.0, 3), (FixedPointFactor{5, -1}));   // 0.625·8 = 5, left shift 1
  EXPECT_EQ(truncate_to_bits(1.0 / 0.3, 3), (FixedPointFactor{6, 1}));  // 3.33 → 3.0
  EXPECT_THROW((void)truncate_to_bits(0.0, 8), std::invalid_argument);
  EXPECT_THROW((void)truncate_to_bits(0.5, 32), std::invalid_argument);
}

TEST(HardwareWidths, TwoFactorRequantRoundsOnceTiesUp) {
  // 0.25 · 1: 6 → 1.5 → 2, −6 → −1.5 → −1 (§9.2), clamp and zero point after.
  const FixedPointFactor quarter{1, 2}, one{1, 0};
  EXPECT_EQ(requantise_two_factors(6, quarter, one, 0, -128, 127), 2);
  EXPECT_EQ(requantise_two_factors(-6, quarter, one, 0, -128, 127), -1);
  EXPECT_EQ(requantise_two_factors(1000, quarter, one, 3, -128, 127), 127);
  EXPECT_EQ(requantise_two_factors(5, {5, -1}, one, 0, -1000, 1000), 50);  // a left shift
}

TEST(HardwareWidths, ValidateNamesTheField) {
  EXPECT_NO_THROW(HardwareWidths{}.validate());
  EXPECT_THAT([] { HardwareWidths{.accumulator_bits = 1}.validate(); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("accumulator_bits")));
  EXPECT_THAT([] { HardwareWidths{.scale_bits = 8}.validate(); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("inverse_scale_bits")));
  EXPECT_THROW((HardwareWidths{.scale_bits = 40, .inverse_scale_bits = 8}.validate()), std::invalid_argument);
  EXPECT_EQ((HardwareWidths{16, 8, 6, Overflow::Wrap}.describe()), "acc16 scale8 inv6 wrap");
  EXPECT_EQ(overflow_from_string("wrap"), Overflow::Wrap);
  EXPECT_THROW(overflow_from_string("clip"), std::invalid_argument);
}

// acc (int32, scale 0.25) → requant with M = 0.25 to int8 at scale 1.
ir::Graph quarter_graph() {
  OpGraph b;
  b.input("acc", {3}, i32(), pt(0.25))
      .op("y", OpKind::Requant, {"acc"}, i8(), pt(1.0), ir::make_requant(std::vector<double>{0.25}, {-128, 127}, 0));
  return b.build({"y"});
}
const IntTensorMap kAccumulators = {{"acc", {{3}, {200, -200, 6}}}};

std::vector<std::int64_t> run(const ir::Graph& g, const IntTensorMap& in, std::optional<HardwareWidths> hw) {
  return run_reference(g, in, ReferenceOptions{hw}).at(g.outputs[0]).values;
}

TEST(HardwareWidthEmulation, DefaultIsTheExactRuntime) {
  const ir::Graph g = quarter_graph();
  EXPECT_EQ(run(g, kAccumulators, std::nullopt), run_reference(g, kAccumulators).at("y").values);
  EXPECT_EQ(run(g, kAccumulators, std::nullopt), (std::vector<std::int64_t>{50, -50, 2}));
  // A 64-bit accumulator with the stored multipliers changes nothing.
  EXPECT_EQ(run(g, kAccumulators, HardwareWidths{}), (std::vector<std::int64_t>{50, -50, 2}));
}

TEST(HardwareWidthEmulation, EightBitAccumulatorSaturatesOrWraps) {
  const ir::Graph g = quarter_graph();
  // 200 → 127 → 31.75 → 32; −200 → −128 → −32; 6 fits.
  EXPECT_EQ(run(g, kAccumulators, HardwareWidths{.accumulator_bits = 8}), (std::vector<std::int64_t>{32, -32, 2}));
  // 200 → −56 → −14; −200 → 56 → 14.
  EXPECT_EQ(run(g, kAccumulators, HardwareWidths{.accumulator_bits = 8, .overflow = Overflow::Wrap}),
            (std::vector<std::int64_t>{-14, 14, 2}));
}

TEST(HardwareWidthEmulation, TruncatedScaleMultiplier) {
  // s_acc = 0.1, s_y = 1: M = 0.1. With 4 scale bits 0.1 → 0.09375 (inverse 1 is exact at any width).
  OpGraph b;
  b.input("acc", {3}, i32(), pt(0.1))
      .op("y", OpKind::Requant, {"acc"}, i8(), pt(1.0), ir::make_requant(std::vector<double>{0.1}, {-128, 127}, 0));
  const ir::Graph g = b.build({"y"});
  const IntTensorMap in = {{"acc", {{3}, {100, -100, 16}}}};
  EXPECT_EQ(run(g, in, std::nullopt), (std::vector<std::int64_t>{10, -10, 2}));
  // 9.375 → 9; −9.375 → −9; 1.5 → 2.
  EXPECT_EQ(run(g, in, HardwareWidths{.scale_bits = 4, .inverse_scale_bits = 8}), (std::vector<std::int64_t>{9, -9, 2}));
}

TEST(HardwareWidthEmulation, TruncatedInverseOutputScale) {
  // s_acc = 1, s_y = 0.3: 1/s_y = 3.33 → 3.0 at 3 bits; exact M gives round(33.3) = 33.
  OpGraph b;
  b.input("acc", {2}, i32(), pt(1.0))
      .op("y", OpKind::Requant, {"acc"}, i8(), pt(0.3, 1),
          ir::make_requant(std::vector<double>{1.0 / 0.3}, {-128, 127}, 0));
  const ir::Graph g = b.build({"y"});
  const IntTensorMap in = {{"acc", {{2}, {10, -10}}}};
  EXPECT_EQ(run(g, in, std::nullopt), (std::vector<std::int64_t>{34, -32}));  // ±33 + z_y 1
  EXPECT_EQ(run(g, in, HardwareWidths{.scale_bits = 8, .inverse_scale_bits = 3}), (std::vector<std::int64_t>{31, -29}));
}

TEST(HardwareWidthEmulation, CodeInputsAreNotNarrowed) {
  // A code → code requant (uint8 z = 128 → int8): the accumulator width does not apply to codes.
  OpGraph b;
  b.input("x", {3}, u8(), pt(0.1, 128))
      .op("y", OpKind::Requant, {"x"}, i8(), pt(0.1), ir::RequantAttrs{{{std::int64_t{1} << 30, 30}}, 0, -128, 127});
  EXPECT_EQ(run(b.build({"y"}), {{"x", {{3}, {0, 128, 255}}}}, HardwareWidths{.accumulator_bits = 4}),
            (std::vector<std::int64_t>{-128, 0, 127}));
}

}  // namespace
}  // namespace bitlab::runtime
