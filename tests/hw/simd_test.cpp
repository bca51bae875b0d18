#include "hw/simd_latency.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "test_graphs.h"

namespace bitlab::hw {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

LayerView small_view(PrecisionAssignment p = testing::small_net_policy()) { return extract_layers(testing::small_net(), p); }

TEST(SimdProfiles, ComputeWidthIsTheSmallestDotProductCoveringBothOperands) {
  const SimdProfile int8 = int8_simd_profile();
  const SimdProfile sub = subbyte_simd_profile();
  EXPECT_EQ(simd_compute_bits(int8, 2, 2), 8);   // sub-byte operands unpacked to 8 bits
  EXPECT_EQ(simd_compute_bits(int8, 8, 12), 16);
  EXPECT_EQ(simd_compute_bits(sub, 2, 2), 2);
  EXPECT_EQ(simd_compute_bits(sub, 3, 4), 4);    // 3-bit weights sit in 4-bit fields
  EXPECT_EQ(simd_compute_bits(sub, 2, 8), 8);
  EXPECT_THAT([&] { (void)simd_compute_bits(sub, 16, 8); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("no dot product for 16-bit operands")));
}

TEST(SimdLatency, Int8ProfileUnpacksSubByteWeights) {
  const SimdProfile profile = int8_simd_profile(8);
  const LayerView view = small_view();
  const SimdPlacement placement = place(view, profile);
  EXPECT_EQ(placement.weight_bytes, 279);
  EXPECT_EQ(placement.activation_bytes, 320);
  EXPECT_TRUE(placement.activations_in_l2);
  EXPECT_TRUE(placement.weights_in_l2);

  // conv1: 6912 MACs at 8 bits (4 per cycle per core, 8 cores); every MAC
  // unpacks a 4-bit weight (1 cycle each, 8 cores); 256 requantisations;
  // 70 B weights + 192 B in + 128 B out moved L2 -> L1 at 0.125 cycles per byte.
  const SimdLayerCost c = simd_layer_cost(view.layer("conv1"), profile, placement);
  EXPECT_EQ(c.compute_bits, 8);
  EXPECT_EQ(c.unpacked_elements, 6912);
  EXPECT_DOUBLE_EQ(c.mac_cycles, 216.0);
  EXPECT_DOUBLE_EQ(c.unpack_cycles, 864.0);
  EXPECT_DOUBLE_EQ(c.scalar_cycles, 32.0);
  EXPECT_DOUBLE_EQ(c.l2_to_l1_cycles, 390 * 0.125);
  EXPECT_DOUBLE_EQ(c.l3_to_l2_cycles, 0.0);
  EXPECT_TRUE(c.fits_l1);
  EXPECT_DOUBLE_EQ(c.cycles, 216.0 + 864.0 + 32.0 + 48.75);
  EXPECT_DOUBLE_EQ(simd_layer_cost(view.layer("conv1"), profile, placement, {.overlap_transfers = true}).cycles, 1112.0);
}

TEST(SimdLatency, SubByteProfileRunsEqualPrecisionsWithoutUnpacking) {
  const SimdProfile profile = subbyte_simd_profile(8);
  const PrecisionAssignment w4a4 = PrecisionAssignment::uniform(4, 4, 4);
  const LayerView view = small_view(w4a4);
  const SimdLayerCost c = simd_layer_cost(view.layer("conv1"), profile, place(view, profile));
  EXPECT_EQ(c.compute_bits, 4);
  EXPECT_EQ(c.unpacked_elements, 0);
  EXPECT_DOUBLE_EQ(c.mac_cycles, 6912.0 / 64.0);  // 8 MACs per cycle per core
}

TEST(SimdLatency, NarrowerActivationsAreUnpackedOncePerIm2colElement) {
  const SimdProfile profile = subbyte_simd_profile(8);
  PrecisionAssignment p = PrecisionAssignment::uniform(8, 8, 4);  // 4-bit input, 8-bit weights
  const LayerView view = small_view(p);
  const SimdLayerCost c = simd_layer_cost(view.layer("conv1"), profile, place(view, profile));
  EXPECT_EQ(c.compute_bits, 8);
  EXPECT_EQ(c.unpacked_elements, 6912 / 4);  // shared by conv1's 4 output channels
  EXPECT_DOUBLE_EQ(c.unpack_cycles, 1728.0 / 8.0);
}

TEST(SimdLatency, PlacementFallsBackToL3) {
  SimdProfile profile = int8_simd_profile(8);
  const LayerView view = small_view();
  profile.memory.l2_bytes = 590;  // arena 320 fits, leaving 270 < 279 bytes of weights
  SimdPlacement p = place(view, profile);
  EXPECT_TRUE(p.activations_in_l2);
  EXPECT_FALSE(p.weights_in_l2);
  const SimdLayerCost c = simd_layer_cost(view.layer("conv1"), profile, p);
  EXPECT_DOUBLE_EQ(c.l3_to_l2_cycles, 70 * 1.0);  // conv1's weights from L3 at 1 cycle per byte

  profile.memory.l2_bytes = 300;  // the arena does not fit; the weights alone do
  p = place(view, profile);
  EXPECT_FALSE(p.activations_in_l2);
  EXPECT_TRUE(p.weights_in_l2);
  EXPECT_DOUBLE_EQ(simd_layer_cost(view.layer("conv1"), profile, p).l3_to_l2_cycles, 320.0);

  profile.memory.l1_bytes = 256;
  EXPECT_FALSE(simd_layer_cost(view.layer("conv1"), profile, p).fits_l1);
}

TEST(SimdLatency, ReportSumsLayersAndConvertsToSeconds) {
  const SimdProfile profile = int8_simd_profile(8);
  const SimdReport r = simd_latency(small_view(), profile);
  ASSERT_EQ(r.layers.size(), 6U);
  double sum = 0.0;
  for (const SimdLayerCost& c : r.layers) sum += c.cycles;
  EXPECT_DOUBLE_EQ(r.cycles, sum);
  EXPECT_DOUBLE_EQ(r.seconds, sum / 100e6);
  EXPECT_EQ(r.layers[1].compute_bits, 0);  // max pooling: no dot products
}

TEST(SimdProfileJson, RoundTripsAndRejectsMistakes) {
  const SimdProfile p = subbyte_simd_profile(4);
  EXPECT_EQ(parse_simd_profile(to_json(p), "p.json"), p);

  nlohmann::json j = to_json(p);
  j["memory"]["l3_kib"] = 1024;
  EXPECT_THAT([&] { (void)parse_simd_profile(j, "p.json"); },
              ThrowsMessage<ConfigError>(HasSubstr("p.json: /memory/l3_kib: unknown key")));
  j = to_json(p);
  j["cores"] = "8";
  EXPECT_THAT([&] { (void)parse_simd_profile(j, "p.json"); },
              ThrowsMessage<ConfigError>(HasSubstr("p.json: /cores: expected an integer in [1, 1024]")));
  j = to_json(p);
  j["macs_per_cycle"]["4bit"] = 8;
  EXPECT_THAT([&] { (void)parse_simd_profile(j, "p.json"); },
              ThrowsMessage<ConfigError>(HasSubstr("p.json: /macs_per_cycle/4bit: \"4bit\" is not an operand width")));
  j = to_json(p);
  j["macs_per_cycle"]["8"] = 0;
  EXPECT_THAT([&] { (void)parse_simd_profile(j, "p.json"); },
              ThrowsMessage<ConfigError>(HasSubstr("p.json: /macs_per_cycle/8: expected a number")));
  j = to_json(p);
  j.erase("unpack_cycles_per_element");
  EXPECT_THAT([&] { (void)parse_simd_profile(j, "p.json"); },
              ThrowsMessage<ConfigError>(HasSubstr("p.json: /unpack_cycles_per_element: missing")));
}

TEST(SimdProfileJson, ValidateRejectsImpossibleProfiles) {
  SimdProfile p = int8_simd_profile();
  p.cores = 0;
  EXPECT_THROW(p.validate(), std::invalid_argument);
  p = int8_simd_profile();
  p.macs_per_cycle.clear();
  EXPECT_THAT([&] { p.validate(); }, ThrowsMessage<std::invalid_argument>(HasSubstr("at least one operand width")));
}

}  // namespace
}  // namespace bitlab::hw
