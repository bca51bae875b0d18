// The accumulator / scale width sweep on a small integer classifier whose
// labels are its own exact predictions (so full precision is 100 %).
#include "hw/width_sweep.h"

#include <gtest/gtest.h>

#include <random>

#include "ir/graph.h"
#include "ir/requant_params.h"
#include "ir/shape_inference.h"
#include "runtime/reference.h"

namespace bitlab::hw {
namespace {

using runtime::HardwareWidths;

// x int8 [N, 16] → linear (int8 weights, 4 classes) → int32 acc → requant → int8 logits.
// |acc| reaches 16·127·127 ≈ 2^18, so narrow accumulators saturate.
ir::Graph classifier(std::int64_t batch) {
  std::mt19937 rng(7);
  std::vector<std::int64_t> w;
  for (int i = 0; i < 4 * 16; ++i) w.push_back(static_cast<std::int64_t>(rng() % 255) - 127);
  ir::Graph g;
  g.name = "tiny";
  const auto i8 = ir::ElementType::integer(8, true);
  g.add_tensor(ir::int_tensor("x", {batch, 16}, i8, ir::Quantization::per_tensor(0.05)));
  g.add_tensor(ir::int_constant("w", {4, 16}, i8, ir::Quantization::per_tensor(0.01), w));
  g.add_tensor(ir::int_tensor("acc", {batch, 4}, ir::ElementType::integer(32, true), ir::Quantization::per_tensor(0.0005)));
  g.add_tensor(ir::int_tensor("y", {batch, 4}, i8, ir::Quantization::per_tensor(0.1)));
  g.inputs = {"x"};
  g.add_node(ir::Node{"fc", ir::OpKind::Linear, {"x", "w"}, {"acc"}, ir::LinearAttrs{}});
  g.add_node(ir::Node{"fc.requant", ir::OpKind::Requant, {"acc"}, {"y"},
                      ir::make_requant(std::vector<double>{0.005}, {-128, 127}, 1)});
  g.outputs = {"y"};
  return g;
}

LabelledCodes samples(std::int64_t n) {
  std::mt19937 rng(11);
  LabelledCodes data;
  for (std::int64_t i = 0; i < n * 16; ++i) data.codes.push_back(static_cast<std::int64_t>(rng() % 256) - 128);
  // Labels: the exact graph's own top class.
  ir::Graph g = classifier(n);
  runtime::IntTensorMap in;
  in.emplace("x", runtime::IntTensor{{n, 16}, data.codes});
  const runtime::IntTensor y = runtime::run_reference(g, in).at("y");
  for (std::int64_t r = 0; r < n; ++r) {
    const auto row = y.values.begin() + r * 4;
    data.labels.push_back(std::max_element(row, row + 4) - row);
  }
  return data;
}

TEST(WidthSweep, FindsTheSmallestWidthsWithinTolerance) {
  const LabelledCodes data = samples(64);
  WidthSweepOptions options;
  options.batch = 16;
  options.tolerance_pp = 2.0;
  const WidthSweepResult r = sweep_widths(classifier(1), data, options);
  EXPECT_EQ(r.samples, 64);
  EXPECT_DOUBLE_EQ(r.full_precision_accuracy, 100.0);
  // Each dimension: passing points down to its minimum, then at most one failure.
  for (const std::string dim : {"accumulator", "scale", "inverse_scale"}) {
    std::vector<WidthPoint> ps;
    for (const WidthPoint& p : r.points)
      if (p.dimension == dim) ps.push_back(p);
    ASSERT_FALSE(ps.empty()) << dim;
    for (std::size_t i = 0; i + 1 < ps.size(); ++i) EXPECT_TRUE(ps[i].within_tolerance) << dim << " " << i;
  }
  // 2^18-sized sums: 32 bits is exact, 8 bits saturates nearly everything.
  ASSERT_TRUE(r.min_accumulator_bits.has_value());
  EXPECT_GE(*r.min_accumulator_bits, 10);
  EXPECT_LE(*r.min_accumulator_bits, 20);
  ASSERT_TRUE(r.recommended.has_value());
  EXPECT_TRUE(r.recommended->within_tolerance);
  EXPECT_GE(r.recommended->accuracy, 98.0);
  EXPECT_EQ(to_json(r)["recommended"]["widths"]["accumulator_bits"], r.recommended->widths.accumulator_bits);
  EXPECT_NE(format_table(r).find("recommended together"), std::string::npos);
}

TEST(WidthSweep, EverythingPassesAtFullTolerance) {
  WidthSweepOptions options;
  options.tolerance_pp = 100.0;
  options.accumulator_bits = {16, 8};
  options.scale_bits = {4, 2};
  options.inverse_scale_bits = {3};
  const WidthSweepResult r = sweep_widths(classifier(1), samples(8), options);
  EXPECT_EQ(r.min_accumulator_bits, 8);
  EXPECT_EQ(r.min_scale_bits, 2);
  EXPECT_EQ(r.min_inverse_scale_bits, 3);
  ASSERT_TRUE(r.recommended.has_value());
  EXPECT_EQ(r.recommended->widths, (HardwareWidths{8, 2, 3, runtime::Overflow::Saturate}));
}

TEST(WidthSweep, UsesTheGivenExecutorAndChecksItsData) {
  int calls = 0;
  WidthSweepOptions options;
  options.batch = 4;
  options.accumulator_bits = {32};
  options.scale_bits = {8};
  options.inverse_scale_bits = {8};
  const GraphExecutor reference = reference_executor();
  options.executor = [&](const ir::Graph& g, const runtime::IntTensorMap& in, const std::optional<HardwareWidths>& hw) {
    ++calls;
    return reference(g, in, hw);
  };
  (void)sweep_widths(classifier(1), samples(8), options);
  EXPECT_EQ(calls, 5 * 2);  // exact, three dimensions and the combination, two batches each
  LabelledCodes bad = samples(8);
  bad.codes.pop_back();
  EXPECT_THROW((void)sweep_widths(classifier(1), bad, options), std::invalid_argument);
}

}  // namespace
}  // namespace bitlab::hw
