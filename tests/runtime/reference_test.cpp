// Hand-computed cases for every op of docs/integer-spec.md §14. Each case runs
// the int64 reference runtime and the float64 simulation (expect_output).
#include "runtime/reference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "ir/error.h"
#include "ir/requant_params.h"
#include "op_graph.h"

namespace bitlab::runtime {
namespace {

using ::testing::HasSubstr;
using namespace testing;
using ir::OpKind;

// x − zx = [[1, 2, 3], [4, 5, 6], [7, 8, 9]] with zx = 2; w = [[1, 2], [3, 4]]; bias 5.
OpGraph conv_graph(ir::Conv2dAttrs attrs) {
  OpGraph b;
  b.input("x", {1, 1, 3, 3}, u8(), pt(1.0, 2))
      .constant("w", {1, 1, 2, 2}, i8(), pt(1.0), {1, 2, 3, 4})
      .constant("b", {1}, i32(), pt(1.0), {5})
      .op("acc", OpKind::Conv2d, {"x", "w", "b"}, i32(), pt(1.0), attrs);
  return b;
}
const IntTensorMap kConvInput = {{"x", {{1, 1, 3, 3}, {3, 4, 5, 6, 7, 8, 9, 10, 11}}}};

TEST(ReferenceConv2d, AccumulatesZeroPointCorrectedProductsPlusBias) {
  // (0,0): 1·1 + 2·2 + 4·3 + 5·4 + 5 = 42, and so on (§14.1).
  expect_output(conv_graph({}).build({"acc"}), kConvInput, "acc", {1, 1, 2, 2}, {42, 52, 72, 82});
}

TEST(ReferenceConv2d, PaddingHoldsRealZeroNotCodeZero) {
  // stride 2, padding 1: windows start at −1 and 1; padded taps add (zx − zx)·w = 0.
  // (0,0): only x[0,0]·w[1,1] = 1·4; (0,1): 2·3 + 3·4; (1,0): 4·2 + 7·4; (1,1): the full window.
  expect_output(conv_graph({.stride = {2, 2}, .padding = {1, 1}}).build({"acc"}), kConvInput, "acc", {1, 1, 2, 2},
                {4 + 5, 18 + 5, 36 + 5, 77 + 5});
}

TEST(ReferenceConv2d, Dilation) {
  // Taps (0,0), (0,2), (2,0), (2,2): 1·1 + 3·2 + 7·3 + 9·4 + 5.
  expect_output(conv_graph({.dilation = {2, 2}}).build({"acc"}), kConvInput, "acc", {1, 1, 1, 1}, {69});
}

TEST(ReferenceConv2d, DepthwiseAndGrouped) {
  OpGraph d;
  d.input("x", {1, 2, 2, 2}, i8(), pt(1.0))
      .constant("w", {2, 1, 1, 1}, i8(), ir::Quantization::per_channel(0, {1.0, 1.0}), {2, -1})
      .op("acc", OpKind::Conv2d, {"x", "w"}, i32(), ir::Quantization::per_channel(1, {1.0, 1.0}), ir::Conv2dAttrs{.groups = 2});
  expect_output(d.build({"acc"}), {{"x", {{1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}}}}, "acc", {1, 2, 2, 2},
                {2, 4, 6, 8, -5, -6, -7, -8});

  // Two groups of two input channels: out0 = x0 + x1, out1 = x2 − x3.
  OpGraph g;
  g.input("x", {1, 4, 1, 1}, i8(), pt(1.0))
      .constant("w", {2, 2, 1, 1}, i8(), pt(1.0), {1, 1, 1, -1})
      .op("acc", OpKind::Conv2d, {"x", "w"}, i32(), pt(1.0), ir::Conv2dAttrs{.groups = 2});
  expect_output(g.build({"acc"}), {{"x", {{1, 4, 1, 1}, {1, 2, 3, 4}}}}, "acc", {1, 2, 1, 1}, {3, -1});
}

TEST(ReferenceLinear, SubtractsActivationAndPerChannelWeightZeroPoints) {
  // x − 10 = [[0, 1, 2], [3, 4, 5]]; w − zw = [[1, 2, 3], [3, 4, 5]] (zw = 0, 1); bias [−1, 100].
  OpGraph b;
  b.input("x", {2, 3}, u8(), pt(1.0, 10))
      .constant("w", {2, 3}, i8(), ir::Quantization::per_channel(0, {1.0, 1.0}, {0, 1}), {1, 2, 3, 4, 5, 6})
      .constant("b", {2}, i32(), ir::Quantization::per_channel(0, {1.0, 1.0}), {-1, 100})
      .op("acc", OpKind::Linear, {"x", "w", "b"}, i32(), ir::Quantization::per_channel(1, {1.0, 1.0}), ir::LinearAttrs{});
  expect_output(b.build({"acc"}), {{"x", {{2, 3}, {10, 11, 12, 13, 14, 15}}}}, "acc", {2, 2}, {7, 114, 25, 150});
}

TEST(ReferenceRequant, PerChannelRoundsHalfTowardPlusInfinityThenClamps) {
  // Channel 0: M = 0.25 (m = 2^30, s = 32); channel 1: M = 0.5. Output uint8, z = 10, ReLU clamp [10, 255].
  OpGraph b;
  b.input("acc", {1, 2, 1, 2}, i32(), ir::Quantization::per_channel(1, {0.25, 0.5}))
      .op("y", OpKind::Requant, {"acc"}, u8(), pt(1.0, 10),
          ir::RequantAttrs{{{std::int64_t{1} << 30, 32}, {std::int64_t{1} << 30, 31}}, 1, 10, 255});
  // 6·0.25 = 1.5 → 2 → 12; −6·0.25 = −1.5 → −1 → 9 → ReLU 10; 5·0.5 = 2.5 → 3 → 13; 500 + 10 → 255.
  expect_output(b.build({"y"}), {{"acc", {{1, 2, 1, 2}, {6, -6, 5, 1000}}}}, "y", {1, 2, 1, 2}, {12, 10, 13, 255});
}

TEST(ReferenceRequant, SubtractsTheInputZeroPoint) {
  // uint8 (z = 128) to int8 (z = 0) at M = 1: the usual unsigned-to-signed shift.
  OpGraph b;
  b.input("x", {3}, u8(), pt(0.1, 128))
      .op("y", OpKind::Requant, {"x"}, i8(), pt(0.1), ir::RequantAttrs{{{std::int64_t{1} << 30, 30}}, 0, -128, 127});
  expect_output(b.build({"y"}), {{"x", {{3}, {0, 128, 255}}}}, "y", {3}, {-128, 0, 127});
}

TEST(ReferenceRequant, WorkedExampleOfSection9) {
  OpGraph b;
  b.input("acc", {2}, i32(), pt(0.05 * 0.004))
      .op("y", OpKind::Requant, {"acc"}, i8(), pt(0.1, -3), ir::make_requant(std::vector<double>{0.002}, {-128, 127}, 0));
  expect_output(b.build({"y"}), {{"acc", {{2}, {12345, -12345}}}}, "y", {2}, {22, -28});  // 25 − 3, −25 − 3
}

TEST(ReferenceAdd, BringsEachInputToTheOutputScaleWithOneRounding) {
  // a: s 0.1, z 5; b: s 0.3, z 0; y: s 0.25, z 2. Reals 1.0 + 0.3 = 1.3 → 5.2 → 5; 0 − 0.9 → −3.6 → −4.
  OpGraph g;
  g.input("a", {2}, u8(), pt(0.1, 5)).input("b", {2}, i8(), pt(0.3));
  g.op("y", OpKind::Add, {"a", "b"}, i8(), pt(0.25, 2),
       ir::AddAttrs{ir::make_add_requant(std::vector<double>{0.1, 0.3}, 0.25, {-128, 127})});
  expect_output(g.build({"y"}), {{"a", {{2}, {15, 5}}}, {"b", {{2}, {1, -3}}}}, "y", {2}, {7, -2});
}

TEST(ReferenceAdd, TiesRoundTowardPlusInfinityOnTheExactSum) {
  // M_a = 0.5, M_b = 0.25 exactly: a/2 + b/4 = 0.5 → 1, −0.5 → 0, 1.0 → 1, −1.5 → −1.
  // Rounding each term separately would give 1 + 0 (0.5 → 1) for a = 1, b = 2 → 2, not 1.
  OpGraph g;
  g.input("a", {4}, i8(), pt(0.5)).input("b", {4}, i8(), pt(0.25));
  g.op("y", OpKind::Add, {"a", "b"}, i8(), pt(1.0), ir::AddAttrs{ir::make_add_requant(std::vector<double>{0.5, 0.25}, 1.0, {-128, 127})});
  expect_output(g.build({"y"}), {{"a", {{4}, {1, -1, 1, -3}}}, {"b", {{4}, {0, 0, 2, 0}}}}, "y", {4}, {1, 0, 1, -1});
}

TEST(ReferenceConcat, LaysInputsEndToEndAlongTheAxis) {
  for (const auto& [axis, shape, expected] :
       {std::tuple{1, ir::Shape{1, 4, 2}, std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8}},
        std::tuple{2, ir::Shape{1, 2, 4}, std::vector<std::int64_t>{1, 2, 5, 6, 3, 4, 7, 8}}}) {
    OpGraph g;
    g.input("a", {1, 2, 2}, i8(), pt(0.5, 1)).input("b", {1, 2, 2}, i8(), pt(0.5, 1));
    g.op("y", OpKind::Concat, {"a", "b"}, i8(), pt(0.5, 1), ir::ConcatAttrs{axis});
    expect_output(g.build({"y"}), {{"a", {{1, 2, 2}, {1, 2, 3, 4}}}, {"b", {{1, 2, 2}, {5, 6, 7, 8}}}}, "y", shape, expected);
  }
}

TEST(ReferenceAvgPool, SumsTheWindowThenRequantisesTheMean) {
  // x − 3 = [[0, 1, 2], [3, 4, 5]]; 2x2 windows sum to 8 and 12; M = (s/4)/s = 1/4 → 2, 3; z_y = 3.
  OpGraph g;
  g.input("x", {1, 1, 2, 3}, u8(), pt(0.2, 3))
      .op("sum", OpKind::AvgPool, {"x"}, i32(), pt(0.05), ir::PoolAttrs{.kernel = {2, 2}, .stride = {1, 1}})
      .op("y", OpKind::Requant, {"sum"}, u8(), pt(0.2, 3), ir::make_requant(std::vector<double>{0.25}, {0, 255}, 1));
  const ir::Graph graph = g.build({"sum", "y"});
  const IntTensorMap in = {{"x", {{1, 1, 2, 3}, {3, 4, 5, 6, 7, 8}}}};
  expect_output(graph, in, "sum", {1, 1, 1, 2}, {8, 12});
  expect_output(graph, in, "y", {1, 1, 1, 2}, {5, 6});
}

TEST(ReferenceAvgPool, PaddingCountsAsZeroAndTiesRoundUp) {
  // Each padded 2x2 window (stride 2, padding 1) sees one real value: 1/4, 2/4, 3/4, 4/4 → 0, 1 (tie), 1, 1.
  OpGraph g;
  g.input("x", {1, 1, 2, 2}, i8(), pt(1.0))
      .op("sum", OpKind::AvgPool, {"x"}, i32(), pt(0.25), ir::PoolAttrs{.kernel = {2, 2}, .stride = {2, 2}, .padding = {1, 1}})
      .op("y", OpKind::Requant, {"sum"}, i8(), pt(1.0), ir::make_requant(std::vector<double>{0.25}, {-128, 127}, 1));
  expect_output(g.build({"y"}), {{"x", {{1, 1, 2, 2}, {1, 2, 3, 4}}}}, "y", {1, 1, 2, 2}, {0, 1, 1, 1});
}

TEST(ReferenceMaxPool, PaddingNeverWins) {
  // With z = 5, a padding code of 0 or z would beat the lone −3 in the corner window.
  OpGraph g;
  g.input("x", {1, 1, 2, 2}, i8(), pt(0.1, 5))
      .op("y", OpKind::MaxPool, {"x"}, i8(), pt(0.1, 5), ir::PoolAttrs{.kernel = {2, 2}, .stride = {1, 1}, .padding = {1, 1}});
  expect_output(g.build({"y"}), {{"x", {{1, 1, 2, 2}, {-3, 7, 2, 6}}}}, "y", {1, 1, 3, 3}, {-3, 7, 7, 2, 7, 7, 2, 6, 6});
}

TEST(ReferenceFlattenReshape, KeepValuesAndChangeShapes) {
  OpGraph g;
  g.input("x", {1, 2, 1, 3}, i8(), pt(1.0))
      .op("f", OpKind::Flatten, {"x"}, i8(), pt(1.0), ir::FlattenAttrs{1})
      .op("r", OpKind::Reshape, {"f"}, i8(), pt(1.0), ir::ReshapeAttrs{{3, -1}});
  const ir::Graph graph = g.build({"f", "r"});
  const IntTensorMap in = {{"x", {{1, 2, 1, 3}, {1, 2, 3, 4, 5, 6}}}};
  expect_output(graph, in, "f", {1, 6}, {1, 2, 3, 4, 5, 6});
  expect_output(graph, in, "r", {3, 2}, {1, 2, 3, 4, 5, 6});
}

TEST(ReferenceClip, ClampsCodes) {
  OpGraph g;
  g.input("x", {4}, i8(), pt(1.0)).op("y", OpKind::Clip, {"x"}, i8(), pt(1.0), ir::ClipAttrs{-10, 60});
  expect_output(g.build({"y"}), {{"x", {{4}, {-100, 0, 50, 127}}}}, "y", {4}, {-10, 0, 50, 60});
}

TEST(ReferenceRuntime, ChecksItsInputs) {
  const ir::Graph g = conv_graph({}).build({"acc"});
  EXPECT_THAT([&] { (void)run_reference(g, {}); }, ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("input \"x\"")));
  EXPECT_THAT([&] { (void)run_reference(g, {{"x", {{1, 1, 3, 2}, {3, 4, 5, 6, 7, 8}}}}); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("has shape [1, 1, 3, 2]")));
  EXPECT_THAT([&] { (void)run_reference(g, {{"x", {{1, 1, 3, 3}, {3, 4, 5, 6, 7, 8, 9, 10, 256}}}}); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("value 256 at index 8")));
  IntTensorMap extra = kConvInput;
  extra["w"] = {{1, 1, 2, 2}, {0, 0, 0, 0}};
  EXPECT_THAT([&] { (void)run_reference(g, extra); }, ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("no input named \"w\"")));
}

TEST(ReferenceRuntime, RunsOnlyValidIntegerGraphs) {
  ir::Graph g = conv_graph({}).build({"acc"});
  g.tensor("acc").shape = {1, 1, 3, 3};
  EXPECT_THROW((void)run_reference(g, kConvInput), ir::GraphError);
}

}  // namespace
}  // namespace bitlab::runtime
