#include "runtime/simulation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "ir/requant_params.h"
#include "op_graph.h"
#include "sample_graphs.h"

namespace bitlab::runtime {
namespace {

using ::testing::HasSubstr;
using namespace testing;
using ir::OpKind;

TEST(Simulation, AgreesWithTheReferenceOnTheSampleNetwork) {
  OpGraph b;
  b.input("x", {1, 2, 3, 3}, u8(), pt(0.05, 3))
      .constant("w", {2, 2, 2, 2}, ir::ElementType::integer(4, true, true), ir::Quantization::per_channel(0, {0.01, 0.02}),
                {1, -2, 3, -4, 5, -6, 7, -7, 0, 1, 2, 3, -1, -2, -3, 4})
      .op("acc", OpKind::Conv2d, {"x", "w"}, i32(), ir::Quantization::per_channel(1, {0.05 * 0.01, 0.05 * 0.02}), ir::Conv2dAttrs{})
      .op("y", OpKind::Requant, {"acc"}, u8(), pt(0.02),
          ir::make_requant(std::vector<double>{0.05 * 0.01 / 0.02, 0.05 * 0.02 / 0.02}, {0, 255}, 1));
  const ir::Graph g = b.build({"y"});
  IntTensorMap in = {{"x", {{1, 2, 3, 3}, {}}}};
  for (int i = 0; i < 18; ++i) in["x"].values.push_back((i * 53) % 256);
  const IntTensorMap reference = run_reference(g, in);
  EXPECT_EQ(to_int(run_simulation(g, to_sim(in))), reference);
}

TEST(Simulation, AgreesWithTheReferenceOnTheIrSampleGraph) {
  // conv2d (int4 per-channel weights, bias) -> requant+ReLU -> maxpool -> flatten -> linear -> requant.
  const ir::Graph g = ir::testing::integer_net();
  IntTensorMap in = {{"x", {{1, 2, 4, 4}, {}}}};
  for (int i = 0; i < 32; ++i) in["x"].values.push_back((i * 97 + 11) % 256);
  const IntTensorMap reference = run_reference(g, in);
  EXPECT_EQ(to_int(run_simulation(g, to_sim(in))), reference);
  // Not a degenerate all-clamped output.
  const auto& y = reference.at("y").values;
  EXPECT_GT(std::count_if(y.begin(), y.end(), [](std::int64_t v) { return v != -128 && v != 127; }), 0);
}

TEST(Simulation, RefusesShiftsBeyondFloat64Precision) {
  // §9.4: with s > 53 the + 2^(s−1) no longer fits 53 bits, so the simulation must not guess.
  OpGraph b;
  b.input("acc", {1}, i32(), pt(1.0)).op("y", OpKind::Requant, {"acc"}, i8(), pt(1.0), ir::RequantAttrs{{{1, 60}}, 0, -128, 127});
  const ir::Graph g = b.build({"y"});
  EXPECT_EQ(run_reference(g, {{"acc", {{1}, {5}}}}).at("y").values, std::vector<std::int64_t>{0});
  EXPECT_THAT([&] { (void)run_simulation(g, {{"acc", {{1}, {5.0}}}}); },
              ::testing::ThrowsMessage<SimulationRangeError>(HasSubstr("node \"y_op\" (requant): float64 simulation would be inexact")));
}

TEST(Simulation, RefusesProductsThatReach2To53) {
  // |x·m| = 2^31 · (2^31 − 1) > 2^53: double would round the product.
  OpGraph b;
  b.input("acc", {1}, i32(), pt(1.0))
      .op("y", OpKind::Requant, {"acc"}, i8(), pt(1.0), ir::RequantAttrs{{{(std::int64_t{1} << 31) - 1, 40}}, 0, -128, 127});
  const ir::Graph g = b.build({"y"});
  EXPECT_NO_THROW((void)run_simulation(g, {{"acc", {{1}, {1000.0}}}}));
  EXPECT_THROW((void)run_simulation(g, {{"acc", {{1}, {-2147483648.0}}}}), SimulationRangeError);
}

TEST(Simulation, RejectsNonIntegerInputs) {
  OpGraph b;
  b.input("x", {2}, i8(), pt(1.0)).op("y", OpKind::Clip, {"x"}, i8(), pt(1.0), ir::ClipAttrs{-1, 1});
  EXPECT_THAT([&] { (void)run_simulation(b.build({"y"}), {{"x", {{2}, {0.5, 1.0}}}}); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("value 0.5 at index 0 is not an integer")));
}

TEST(Simulation, DequantisesToTheFakeQuantisedReals) {
  const ir::Tensor t = ir::int_tensor("t", {1, 2, 2}, u8(), ir::Quantization::per_channel(1, {0.5, 0.25}, {2, 0}));
  EXPECT_EQ(dequantise(SimTensor{{1, 2, 2}, {2, 5, 4, 1}}, t), (std::vector<double>{0.0, 1.5, 1.0, 0.25}));
}

TEST(Simulation, ConvertsBetweenValueTypesExactly) {
  const IntTensorMap ints = {{"a", {{3}, {-5, 0, (std::int64_t{1} << 52) + 1}}}};
  EXPECT_EQ(to_int(to_sim(ints)), ints);
  EXPECT_THROW((void)to_sim({{"a", {{1}, {(std::int64_t{1} << 53) + 1}}}}), std::invalid_argument);
  EXPECT_THROW((void)to_int({{"a", {{1}, {0.5}}}}), std::invalid_argument);
  EXPECT_THROW((void)to_int({{"a", {{1}, {std::nan("")}}}}), std::invalid_argument);
}

}  // namespace
}  // namespace bitlab::runtime
