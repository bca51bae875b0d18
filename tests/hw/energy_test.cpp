#include "hw/energy.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "test_graphs.h"

namespace bitlab::hw {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(EnergyTable, HoldsHorowitzs45nmFigures) {
  const EnergyTable t = horowitz_45nm();
  EXPECT_DOUBLE_EQ(t.int_add_pj.at(8), 0.03);
  EXPECT_DOUBLE_EQ(t.int_add_pj.at(32), 0.1);
  EXPECT_DOUBLE_EQ(t.int_mul_pj.at(8), 0.2);
  EXPECT_DOUBLE_EQ(t.int_mul_pj.at(32), 3.1);
  EXPECT_DOUBLE_EQ(t.float_add_pj.at(16), 0.4);
  EXPECT_DOUBLE_EQ(t.float_mul_pj.at(32), 3.7);
  EXPECT_DOUBLE_EQ(t.sram_pj_per_bit, 0.3125);
  EXPECT_DOUBLE_EQ(t.dram_pj_per_bit, 20.3125);
}

TEST(EnergyTable, RoundTripsThroughJson) {
  const EnergyTable t = horowitz_45nm();
  EXPECT_EQ(parse_energy_table(to_json(t), "t.json"), t);
}

TEST(EnergyTable, ParsingIsStrict) {
  nlohmann::json j = to_json(horowitz_45nm());
  j["sram_pj_per_bitt"] = 1.0;
  EXPECT_THAT([&] { (void)parse_energy_table(j, "e.json"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("e.json: /sram_pj_per_bitt: unknown key"),
                                               HasSubstr("did you mean \"sram_pj_per_bit\"?"))));
  j = to_json(horowitz_45nm());
  j["int_mul_pj"]["8"] = "0.2";
  EXPECT_THAT([&] { (void)parse_energy_table(j, "e.json"); },
              ThrowsMessage<ConfigError>(HasSubstr("e.json: /int_mul_pj/8: expected a number")));
  j = to_json(horowitz_45nm());
  j["int_add_pj"]["eight"] = 0.03;
  EXPECT_THAT([&] { (void)parse_energy_table(j, "e.json"); },
              ThrowsMessage<ConfigError>(HasSubstr("e.json: /int_add_pj/eight: \"eight\" is not an operand width")));
  j = to_json(horowitz_45nm());
  j.erase("dram_pj_per_bit");
  EXPECT_THAT([&] { (void)parse_energy_table(j, "e.json"); },
              ThrowsMessage<ConfigError>(HasSubstr("e.json: /dram_pj_per_bit: missing")));
  j = to_json(horowitz_45nm());
  j["float_add_pj"] = nlohmann::json::object();
  EXPECT_THAT([&] { (void)parse_energy_table(j, "e.json"); },
              ThrowsMessage<ConfigError>(HasSubstr("e.json: /float_add_pj: expected an object mapping operand widths")));
  j = to_json(horowitz_45nm());
  j["sram_pj_per_bit"] = -1.0;
  EXPECT_THROW((void)parse_energy_table(j, "e.json"), ConfigError);
}

TEST(EnergyTable, LoadsAFileAndNamesItInErrors) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / "bitlab_hw_energy_test.json";
  nlohmann::json j = to_json(horowitz_45nm());
  j["name"] = "custom";
  std::ofstream(path) << j.dump();
  EXPECT_EQ(load_energy_table(path).name, "custom");
  j["int_add_pj"] = 3;
  std::ofstream(path) << j.dump();
  EXPECT_THAT([&] { (void)load_energy_table(path); },
              ThrowsMessage<ConfigError>(HasSubstr(path.string() + ": /int_add_pj: expected an object")));
  std::filesystem::remove(path);
}

TEST(OperationEnergy, RoundsUpOrScalesToTheOperandWidth) {
  const std::map<int, double> mul = horowitz_45nm().int_mul_pj;
  EXPECT_DOUBLE_EQ(operation_energy(mul, 4, WidthRule::RoundUp, true, "mul"), 0.2);
  EXPECT_DOUBLE_EQ(operation_energy(mul, 4, WidthRule::Scale, true, "mul"), 0.05);      // 0.2 · (4/8)²
  EXPECT_DOUBLE_EQ(operation_energy(mul, 12, WidthRule::Scale, true, "mul"), 0.775 * 0.5625);  // (12/16)²
  EXPECT_DOUBLE_EQ(operation_energy(horowitz_45nm().int_add_pj, 4, WidthRule::Scale, false, "add"), 0.015);
  EXPECT_THAT([&] { (void)operation_energy(mul, 33, WidthRule::RoundUp, true, "integer multiply"); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("no integer multiply entry for 33-bit operands")));
}

TEST(LayerEnergy, SumsArithmeticAndMemoryTraffic) {
  const LayerView view = extract_layers(testing::small_net(), testing::small_net_policy());
  const EnergyTable t = horowitz_45nm();
  // conv1 (w4, in 8): 6912 × (8-bit mul 0.2 + 32-bit add 0.1) + 256 requantisations × 3.1.
  const LayerEnergy conv1 = layer_energy(view.layer("conv1"), t);
  EXPECT_DOUBLE_EQ(conv1.compute_pj, 6912 * 0.3 + 256 * 3.1);
  EXPECT_DOUBLE_EQ(conv1.weight_memory_pj, (108 * 4 + 4 * 32) * 0.3125);
  EXPECT_DOUBLE_EQ(conv1.activation_memory_pj, (192 * 8 + 256 * 4) * 0.3125);
  // pool1: 192 compares on 4-bit codes at the 8-bit add entry; no requantisation.
  const LayerEnergy pool1 = layer_energy(view.layer("pool1"), t);
  EXPECT_DOUBLE_EQ(pool1.compute_pj, 192 * 0.03);
  EXPECT_DOUBLE_EQ(pool1.activation_memory_pj, (256 * 4 + 64 * 4) * 0.3125);
  // conv2 (w2, in 4): the multiply rounds up to 8 bits, or scales to 4.
  EXPECT_DOUBLE_EQ(layer_energy(view.layer("conv2"), t).compute_pj, 576 * 0.3 + 64 * 3.1);
  EXPECT_DOUBLE_EQ(layer_energy(view.layer("conv2"), t, {.width_rule = WidthRule::Scale}).compute_pj,
                   576 * (0.05 + 0.1) + 64 * 3.1);
  // Weights from DRAM.
  EXPECT_DOUBLE_EQ(layer_energy(view.layer("conv1"), t, {.weights_in_dram = true}).weight_memory_pj, 560 * 20.3125);
}

TEST(LayerEnergy, UnquantisedLayersUseFloatArithmetic) {
  const LayerView view = extract_layers(testing::small_net(), PrecisionAssignment::uniform(32, 32, 32));
  const LayerEnergy fc = layer_energy(view.layer("fc"), horowitz_45nm());
  EXPECT_DOUBLE_EQ(fc.compute_pj, 160 * (3.7 + 0.9));
}

TEST(Energy, TotalsAreTheSumOfLayers) {
  const LayerView view = extract_layers(testing::small_net(), testing::small_net_policy());
  const EnergyReport r = energy(view, horowitz_45nm());
  ASSERT_EQ(r.layers.size(), view.layers.size());
  double sum = 0.0;
  for (const LayerEnergy& e : r.layers) sum += e.total_pj();
  EXPECT_DOUBLE_EQ(r.total_pj(), sum);
  EXPECT_GT(r.compute_pj, 0.0);
}

}  // namespace
}  // namespace bitlab::hw
