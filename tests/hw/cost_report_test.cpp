#include "hw/cost_report.h"

#include <gtest/gtest.h>

#include "test_graphs.h"

namespace bitlab::hw {
namespace {

TEST(CostReport, HoldsOnlyTheModelsAskedFor) {
  const LayerView view = extract_layers(testing::small_net(), testing::small_net_policy());
  const CostReport r = cost_report(view);
  EXPECT_EQ(r.graph, "small");
  EXPECT_EQ(r.macs, 6912 + 576 + 160);
  EXPECT_EQ(r.bops, 221184 + 4608 + 10240);
  EXPECT_EQ(r.bits.total(), 6280);
  EXPECT_EQ(r.weight_memory.total(), 279);
  EXPECT_EQ(r.activation_memory.plan.arena_bytes, 320);
  EXPECT_FALSE(r.energy.has_value());
  EXPECT_FALSE(r.accelerator.has_value());
  EXPECT_FALSE(r.simd.has_value());
  const nlohmann::json j = to_json(r);
  EXPECT_FALSE(j["totals"].contains("energy_pj"));
  EXPECT_FALSE(j["layers"][0].contains("simd"));
}

TEST(CostReport, SerialisesEveryModelPerLayerAndInTotal) {
  const LayerView view = extract_layers(testing::small_net(), testing::small_net_policy());
  CostOptions options;
  options.energy_table = horowitz_45nm();
  options.accelerator = AcceleratorOptions{};
  options.simd = int8_simd_profile();
  options.training.batch_size = 2;
  const CostReport r = cost_report(view, options);
  const nlohmann::json j = to_json(r);

  ASSERT_EQ(j["layers"].size(), 6U);
  const nlohmann::json& conv1 = j["layers"][0];
  EXPECT_EQ(conv1["name"], "conv1");
  EXPECT_EQ(conv1["kind"], "conv2d");
  EXPECT_EQ(conv1["weight_bits"], 4);
  EXPECT_EQ(conv1["input_bits"], 8);
  EXPECT_EQ(conv1["bops"], 221184);
  EXPECT_EQ(conv1["weight_bytes"], 54);
  EXPECT_EQ(conv1["accelerator"]["config"], nlohmann::json::array({8, 4}));
  EXPECT_EQ(conv1["accelerator"]["tiles"]["total"], 1);
  EXPECT_DOUBLE_EQ(conv1["simd"]["mac_cycles"].get<double>(), 216.0);
  EXPECT_DOUBLE_EQ(conv1["energy_pj"]["total"].get<double>(), r.energy->layers[0].total_pj());
  EXPECT_EQ(j["layers"][2]["kind"], "depthwise_conv2d");

  const nlohmann::json& totals = j["totals"];
  EXPECT_EQ(totals["macs"], 7648);
  EXPECT_EQ(totals["bits"]["total"], 6280);
  EXPECT_EQ(totals["activation_memory_bytes"]["arena"], 320);
  EXPECT_EQ(totals["activation_memory_bytes"]["peak_live"], 320);
  EXPECT_EQ(totals["training_memory_bytes"]["total"], 12592);
  EXPECT_DOUBLE_EQ(totals["accelerator"]["speedup"].get<double>(), 2.4);
  EXPECT_EQ(totals["simd"]["placement"]["weights_in_l2"], true);
  EXPECT_DOUBLE_EQ(totals["simd"]["cycles"].get<double>(), r.simd->cycles);
  EXPECT_DOUBLE_EQ(totals["energy_pj"]["total"].get<double>(), r.energy->total_pj());
}

}  // namespace
}  // namespace bitlab::hw
