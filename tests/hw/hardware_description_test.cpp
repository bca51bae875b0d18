// HW.json parsing and the cost table of `bitlab cost`.
#include "hw/hardware_description.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "common/error.h"
#include "test_graphs.h"

namespace bitlab::hw {
namespace {

using ::testing::HasSubstr;

TEST(HardwareDescription, EmptyObjectIsTheDefaults) {
  const HardwareDescription h = parse_hardware(nlohmann::json::object(), "hw.json");
  EXPECT_TRUE(h.cost.energy_table.has_value());
  EXPECT_TRUE(h.cost.accelerator.has_value());
  ASSERT_TRUE(h.cost.simd.has_value());
  EXPECT_EQ(h.cost.simd->cores, 8);
  EXPECT_FALSE(h.latency_table.has_value());
}

TEST(HardwareDescription, ModelsCanBeSwitchedOffOrReplaced) {
  const HardwareDescription h = parse_hardware(nlohmann::json::parse(R"({
      "accelerator": {"supported_bits": [8, 16], "configs": [{"high_bits": 16, "low_bits": 16, "relative_tile_latency": 1},
                                                             {"high_bits": 8, "low_bits": 8, "relative_tile_latency": 0.5}]},
      "simd": "int8", "simd_cores": 4, "energy_table": false,
      "energy": {"weights_in_dram": true}, "latency_table": "t.json"})"),
                                               "hw.json", "/some/dir");
  EXPECT_EQ(h.cost.accelerator->supported_bits, (std::vector<int>{8, 16}));
  EXPECT_EQ(h.cost.accelerator->configs.size(), 2u);
  EXPECT_EQ(h.cost.simd->cores, 4);
  EXPECT_FALSE(h.cost.energy_table.has_value());
  EXPECT_TRUE(h.cost.energy.weights_in_dram);
  EXPECT_EQ(*h.latency_table, std::filesystem::path("/some/dir/t.json"));
}

TEST(HardwareDescription, UnknownKeysAndBadValuesAreConfigErrors) {
  EXPECT_THAT([] { (void)parse_hardware(nlohmann::json::parse(R"({"acelerator": false})"), "hw.json"); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("acelerator")));
  EXPECT_THAT([] { (void)parse_hardware(nlohmann::json::parse(R"({"simd": "avx"})"), "hw.json"); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("/simd")));
}

TEST(HardwareDescription, ModelsThatCannotRunTheWidthsAreSkippedNotFatal) {
  // 32-bit float layers: neither the accelerator (≤ 16) nor the SIMD cluster (≤ 8) runs them.
  const LayerView view = extract_layers(testing::small_net(), PrecisionAssignment::uniform(32, 32, 32));
  std::vector<std::string> skipped;
  const CostReport r = cost_report_skipping(view, default_hardware().cost, skipped);
  EXPECT_FALSE(r.accelerator.has_value());
  EXPECT_FALSE(r.simd.has_value());
  EXPECT_TRUE(r.energy.has_value());
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_THAT(skipped[0], HasSubstr("accelerator: "));
  const std::string table = format_cost_table(r, view, nullptr, skipped);
  EXPECT_THAT(table, HasSubstr("not modelled: simd: "));
}

TEST(HardwareDescription, TableListsEveryLayerAndTheTotals) {
  const LayerView view = extract_layers(testing::small_net(), testing::small_net_policy());
  std::vector<std::string> skipped;
  const CostReport r = cost_report_skipping(view, default_hardware().cost, skipped);
  EXPECT_TRUE(skipped.empty());
  MeasuredLatencyTable measured;
  for (const Layer& l : view.layers) measured.add({l.name, l.weight_bits, l.input_bits, 1e-6});
  const std::string table = format_cost_table(r, view, &measured, skipped);
  for (const Layer& l : view.layers) EXPECT_THAT(table, HasSubstr(l.name));
  EXPECT_THAT(table, HasSubstr(fmt::format("totals: {} MACs", r.macs)));
  EXPECT_THAT(table, HasSubstr("speedup"));
  EXPECT_THAT(table, HasSubstr("L2"));
  EXPECT_THAT(table, HasSubstr("5.00 us per sample"));  // five profiled layers at 1 us
}

}  // namespace
}  // namespace bitlab::hw
