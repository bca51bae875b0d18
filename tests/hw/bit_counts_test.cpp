#include "hw/bit_counts.h"

#include <gtest/gtest.h>

#include "test_graphs.h"

namespace bitlab::hw {
namespace {

using testing::small_net;
using testing::small_net_policy;

TEST(Bops, AreMacsTimesWeightAndInputBits) {
  const LayerView view = extract_layers(small_net(), small_net_policy());
  EXPECT_EQ(bops(view.layer("conv1")), 6912 * 4 * 8);
  EXPECT_EQ(bops(view.layer("conv2")), 576 * 2 * 4);
  EXPECT_EQ(bops(view.layer("fc")), 160 * 8 * 8);
  EXPECT_EQ(bops(view.layer("add")), 0);
  EXPECT_EQ(bops(view.layer("pool1")), 0);
}

TEST(TotalBits, CountsParametersActivationsAndInputsLikeAutoQKeras) {
  const LayerView view = extract_layers(small_net(), small_net_policy());
  const LayerBits conv1 = layer_bits(view.layer("conv1"));
  EXPECT_EQ(conv1.parameter_bits, 108 * 4 + 4 * 32);
  EXPECT_EQ(conv1.activation_bits, 256 * 4);

  const TotalBits total = total_bits(view);
  EXPECT_EQ(total.parameter_bits, (108 * 4 + 4 * 32) + 36 * 2 + (160 * 8 + 10 * 32));     // 2232
  EXPECT_EQ(total.activation_bits, 256 * 4 + 64 * 4 + 64 * 8 + 64 * 8 + 16 * 8 + 10 * 8);  // 2512
  EXPECT_EQ(total.input_bits, 192 * 8);
  EXPECT_EQ(total.total(), 6280);
}

TEST(TotalBits, InputOutputAndBiasWidthsAreConfigurable) {
  const LayerView view = extract_layers(small_net(), small_net_policy());
  const TotalBits total = total_bits(view, {.input_bits = 16, .output_bits = 16, .bias_bits = 8});
  EXPECT_EQ(total.input_bits, 192 * 16);
  EXPECT_EQ(total.activation_bits, 2512 - 10 * 8 + 10 * 16);  // only the graph output changes
  EXPECT_EQ(total.parameter_bits, 2232 - 14 * 32 + 14 * 8);
}

}  // namespace
}  // namespace bitlab::hw
