#include "hw/accelerator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_graphs.h"

namespace bitlab::hw {
namespace {

using ::testing::HasSubstr;

// One conv layer on a [1, c, size, size] input, costed at w/a bits.
Layer conv_layer(std::int64_t in_channels, std::int64_t out_channels, std::int64_t size, std::int64_t kernel,
                 ir::Conv2dAttrs attrs, int weight_bits = 8, int activation_bits = 8) {
  testing::GraphBuilder b;
  const std::string x = b.input("x", {1, in_channels, size, size});
  const std::string y = b.conv("conv", x, in_channels, out_channels, kernel, attrs);
  PrecisionAssignment p = PrecisionAssignment::uniform(weight_bits, 8, activation_bits);
  return extract_layers(b.finish({y}), p).layer("conv");
}

TEST(Accelerator, RoundsOperandsUpToSupportedPrecisions) {
  EXPECT_EQ(round_up_precision(1), 4);
  EXPECT_EQ(round_up_precision(2), 4);
  EXPECT_EQ(round_up_precision(4), 4);
  EXPECT_EQ(round_up_precision(5), 8);
  EXPECT_EQ(round_up_precision(9), 16);
  EXPECT_THAT([] { (void)round_up_precision(17); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("17-bit operands")));
}

TEST(Accelerator, SelectsTheConfigurationOfTheRoundedOperands) {
  EXPECT_EQ(select_config(16, 16), (ScalableConfig{16, 16, 1.0}));
  EXPECT_EQ(select_config(8, 16), (ScalableConfig{16, 8, 1.0}));
  EXPECT_EQ(select_config(8, 8), (ScalableConfig{8, 8, 0.5}));
  EXPECT_EQ(select_config(3, 6), (ScalableConfig{8, 4, 0.5}));  // 3 -> 4, 6 -> 8, order-free
  EXPECT_EQ(select_config(2, 2), (ScalableConfig{4, 4, 0.25}));
  EXPECT_EQ(select_config(4, 16), (ScalableConfig{16, 8, 1.0}));  // 16 × 4 is not offered: 4 -> 8
}

TEST(Accelerator, TileRowsLeaveRoomForTheKernelHalo) {
  EXPECT_EQ(outputs_per_tile(18, 3, 1, 1), 16);  // 16 outputs read 18 input rows
  EXPECT_EQ(outputs_per_tile(18, 1, 1, 1), 18);
  EXPECT_EQ(outputs_per_tile(18, 5, 2, 1), 7);   // (7 − 1)·2 + 5 = 17 ≤ 18 < 19
  EXPECT_EQ(outputs_per_tile(22, 3, 1, 1), 20);
  EXPECT_EQ(outputs_per_tile(18, 3, 1, 2), 14);  // dilated window spans 5
  EXPECT_EQ(outputs_per_tile(18, 7, 1, 3), 0);   // spans 19: no output fits
}

TEST(Accelerator, CountsConvTilesOverOutputsAndInputChannels) {
  // 32×32 output (pad 1), 3×3: 16 rows and cols per tile -> 2 × 2; 32 out
  // channels -> 2; 3 in channels -> 1.
  const Layer a = conv_layer(3, 32, 32, 3, {.padding = {1, 1}}, 4, 8);
  EXPECT_EQ(count_tiles(a).total(), 8);
  const AcceleratorLayerCost ca = accelerator_layer_cost(a);
  EXPECT_EQ(ca.config, (ScalableConfig{8, 4, 0.5}));
  EXPECT_DOUBLE_EQ(ca.latency, 4.0);
  EXPECT_DOUBLE_EQ(ca.standard_latency, 8.0);

  // 1×1 on 20×20: 18 per tile -> 2 × 2; 8 out -> 1; 64 in -> 4.
  const TileCount b = count_tiles(conv_layer(64, 8, 20, 1, {}));
  EXPECT_EQ(b.rows, 2);
  EXPECT_EQ(b.in_channels, 4);
  EXPECT_EQ(b.total(), 16);

  // 5×5 stride 2 pad 2 on 40×40 -> 20×20 output, 7 per tile -> 3 × 3.
  EXPECT_EQ(count_tiles(conv_layer(16, 16, 40, 5, {.stride = {2, 2}, .padding = {2, 2}})).total(), 9);

  // Grouped: 2 groups of 16 in -> 32 out channels on 8×8: 2 × (1 × 1 × 2 × 1).
  const TileCount g = count_tiles(conv_layer(32, 64, 8, 3, {.padding = {1, 1}, .groups = 2}));
  EXPECT_EQ(g.groups, 2);
  EXPECT_EQ(g.out_channels, 2);
  EXPECT_EQ(g.total(), 4);
}

TEST(Accelerator, DepthwiseUsesItsOwnMemories) {
  // 48×48 × 32 channels, 3×3 pad 1: 20 per tile -> 3 × 3; 32 channels -> 2.
  const Layer d = conv_layer(32, 32, 48, 3, {.padding = {1, 1}, .groups = 32});
  ASSERT_EQ(d.kind, LayerKind::DepthwiseConv2d);
  const TileCount t = count_tiles(d);
  EXPECT_EQ(t.rows, 3);
  EXPECT_EQ(t.out_channels, 2);
  EXPECT_EQ(t.in_channels, 1);
  EXPECT_EQ(t.total(), 18);
  EXPECT_DOUBLE_EQ(accelerator_layer_cost(d).latency, 9.0);  // 8 × 8: 0.5 per tile
}

TEST(Accelerator, SplitsKernelsIntoEqualSubKernelsThatFit) {
  EXPECT_EQ(split_kernel(3, 7).pieces, 1);
  EXPECT_EQ(split_kernel(7, 7).extent, 7);
  EXPECT_EQ(split_kernel(10, 7).pieces, 2);  // 5 + 5, not 7 + 3
  EXPECT_EQ(split_kernel(10, 7).extent, 5);
  EXPECT_EQ(split_kernel(16, 7).pieces, 3);  // 6 + 6 + 4
  EXPECT_EQ(split_kernel(16, 7).extent, 6);
}

TEST(Accelerator, Runs10x4KernelsAsSubKernelsAccumulatingIntoTheSameOutputs) {
  // DS-CNN's first conv: 1 × 49 × 10 input, 64 filters 10×4, stride 2, pad
  // "same" -> 64 × 25 × 5, at w8a8. The builder only makes square kernels.
  Layer l;
  l.name = "conv1";
  l.kind = LayerKind::Conv2d;
  l.input_shape = {1, 49, 10};
  l.output_shape = {64, 25, 5};
  l.weight_shape = {64, 1, 10, 4};
  l.kernel = {10, 4};
  l.stride = {2, 2};
  l.weight_bits = 8;
  l.input_bits = 8;
  // Rows: 10 > 7 -> 2 sub-kernels of 5 rows; (t − 1)·2 + 5 ≤ 18 -> t = 7 output
  // rows per tile, ceil(25 / 7) = 4. Cols: 4 fits; (t − 1)·2 + 4 ≤ 18 -> t = 8,
  // ceil(5 / 8) = 1. Out channels ceil(64 / 16) = 4, in 1: 2 · 4 · 1 · 4 = 32.
  const TileCount t = count_tiles(l);
  EXPECT_EQ(t.kernel_pieces, 2);
  EXPECT_EQ(t.rows, 4);
  EXPECT_EQ(t.cols, 1);
  EXPECT_EQ(t.out_channels, 4);
  EXPECT_EQ(t.in_channels, 1);
  EXPECT_EQ(t.total(), 32);
  const AcceleratorLayerCost c = accelerator_layer_cost(l);
  EXPECT_DOUBLE_EQ(c.latency, 16.0);  // 8 × 8: 0.5 per tile
  EXPECT_DOUBLE_EQ(c.standard_latency, 32.0);

  // Transposed, 4×10 on 10 × 49: the split moves to the cols.
  l.input_shape = {1, 10, 49};
  l.output_shape = {64, 5, 25};
  l.kernel = {4, 10};
  const TileCount u = count_tiles(l);
  EXPECT_EQ(u.rows, 1);
  EXPECT_EQ(u.cols, 4);
  EXPECT_EQ(u.total(), 32);
}

TEST(Accelerator, SplitsKernelsLargerThanTheWeightMemory) {
  // Depthwise 7×7 pad 3 on 16×16 × 8: 2 × 2 sub-kernels of 4×4 (> 5×5 memory);
  // 22 − 4 + 1 = 19 outputs per tile cover 16 -> 1 × 1 block: 4 tiles.
  const Layer d = conv_layer(8, 8, 16, 7, {.padding = {3, 3}, .groups = 8});
  ASSERT_EQ(d.kind, LayerKind::DepthwiseConv2d);
  const TileCount td = count_tiles(d);
  EXPECT_EQ(td.kernel_pieces, 4);
  EXPECT_EQ(td.total(), 4);
  // Conv 9×9 on 40×40 (32×32 out), 8 -> 8 channels: 2 × 2 sub-kernels of 5×5,
  // 18 − 5 + 1 = 14 outputs per tile -> ceil(32 / 14) = 3 per dim: 4 · 9 = 36.
  const TileCount tc = count_tiles(conv_layer(8, 8, 40, 9, {}));
  EXPECT_EQ(tc.kernel_pieces, 4);
  EXPECT_EQ(tc.rows, 3);
  EXPECT_EQ(tc.total(), 36);
  // A sub-kernel whose dilated window still exceeds the input memory is an error.
  EXPECT_THAT([] { (void)count_tiles(conv_layer(8, 8, 64, 9, {.dilation = {5, 5}})); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("spans more than the accelerator's 18×18")));
}

TEST(Accelerator, LinearTilesSplit256InputsAnd16Outputs) {
  testing::GraphBuilder b;
  const std::string y = b.linear("fc", b.input("x", {1, 600}), 600, 40);
  PrecisionAssignment p = PrecisionAssignment::uniform(8, 8, 16);
  const LayerView view = extract_layers(b.finish({y}), p);
  const AcceleratorLayerCost c = accelerator_layer_cost(view.layer("fc"));
  EXPECT_EQ(c.tiles.in_channels, 3);   // ceil(600 / 256)
  EXPECT_EQ(c.tiles.out_channels, 3);  // ceil(40 / 16)
  EXPECT_EQ(c.config, (ScalableConfig{16, 8, 1.0}));
  EXPECT_DOUBLE_EQ(c.latency, 9.0);
}

TEST(Accelerator, SumsLayersAndReportsTheSpeedup) {
  const LayerView view = extract_layers(testing::small_net(), testing::small_net_policy());
  const AcceleratorReport r = accelerator_latency(view);
  ASSERT_EQ(r.layers.size(), 6U);
  // conv1 (8×8 out, 4 out, 3 in): 1 tile at 8×4 -> 0.5; conv2 depthwise 4×4: 1
  // tile at 4×4 (2-bit weights, 4-bit inputs) -> 0.25; fc 16 -> 10: 1 tile at 8×8 -> 0.5.
  EXPECT_DOUBLE_EQ(r.layers[0].latency, 0.5);
  EXPECT_DOUBLE_EQ(r.layers[2].latency, 0.25);
  EXPECT_FALSE(r.layers[1].on_accelerator);  // max pooling
  EXPECT_EQ(r.layers[1].tiles.total(), 0);
  EXPECT_DOUBLE_EQ(r.latency, 1.25);
  EXPECT_DOUBLE_EQ(r.standard_latency, 3.0);
  EXPECT_DOUBLE_EQ(r.speedup(), 2.4);
}

TEST(Accelerator, WiderThan16BitsIsAnErrorNamingTheLayer) {
  const Layer wide = conv_layer(3, 4, 8, 3, {}, 32, 8);
  EXPECT_THAT([&] { (void)accelerator_layer_cost(wide); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("layer \"conv\" (w32a8)")));
}

}  // namespace
}  // namespace bitlab::hw
