#include "hw/memory.h"

#include <gtest/gtest.h>

#include "test_graphs.h"

namespace bitlab::hw {
namespace {

using testing::small_net;
using testing::small_net_policy;

TEST(PackedBytes, UseThePackingFieldWidths) {
  EXPECT_EQ(storage_bits(1), 1);
  EXPECT_EQ(storage_bits(3), 4);
  EXPECT_EQ(storage_bits(5), 8);
  EXPECT_EQ(storage_bits(12), 16);
  EXPECT_EQ(storage_bits(32), 32);
  EXPECT_THROW((void)storage_bits(33), std::invalid_argument);
  EXPECT_EQ(packed_bytes(9, 2), 3);  // 18 bits
  EXPECT_EQ(packed_bytes(7, 3), 4);  // 7 four-bit fields = 28 bits
  EXPECT_EQ(packed_bytes(10, 8), 10);
  EXPECT_EQ(packed_bytes(3, 32), 12);
}

TEST(WeightMemory, PacksEachLayersWeightsAndCountsInt32Biases) {
  const LayerView view = extract_layers(small_net(), small_net_policy());
  const WeightMemory conv1 = layer_weight_memory(view.layer("conv1"));
  EXPECT_EQ(conv1.weight_bytes, 54);  // 108 weights × 4 bits
  EXPECT_EQ(conv1.bias_bytes, 16);
  EXPECT_EQ(layer_weight_memory(view.layer("conv2")).weight_bytes, 9);  // 36 × 2 bits
  EXPECT_EQ(layer_weight_memory(view.layer("add")).total(), 0);
  const WeightMemory total = weight_memory(view);
  EXPECT_EQ(total.weight_bytes, 54 + 9 + 160);
  EXPECT_EQ(total.bias_bytes, 16 + 40);
  EXPECT_EQ(weight_memory(view, {.bias_bits = 16}).bias_bytes, 8 + 20);
}

TEST(ActivationMemory, PlansTheValuesOfTheGraph) {
  const LayerView view = extract_layers(small_net(), small_net_policy());
  const ActivationMemory m = activation_memory(view);
  // x 192 B [0,0], conv1 128 B [0,2], pool1 32 B [2,4], conv2 64 B [3,4],
  // add 64 B [4,5], avg 16 B [5,7], fc 10 B [7,7]; step 0 holds x and conv1.
  ASSERT_EQ(m.buffers.size(), 7U);
  EXPECT_EQ(m.buffers[1].bytes, 128);
  EXPECT_EQ(m.buffers[2].bytes, 32);
  EXPECT_EQ(m.total_bytes, 192 + 128 + 32 + 64 + 64 + 16 + 10);
  EXPECT_EQ(m.plan.peak_live_bytes, 320);
  EXPECT_EQ(m.plan.arena_bytes, 320);
  EXPECT_EQ(m.plan.offsets, (std::vector<std::int64_t>{0, 192, 128, 0, 64, 0, 16}));
}

TEST(TrainingMemory, CountsLatentWeightsGradientsAdamStateAndBatchedActivations) {
  const LayerView view = extract_layers(small_net(), small_net_policy());
  const TrainingMemory m = training_memory(view, {.batch_size = 2});
  EXPECT_EQ(m.parameters, 318);
  EXPECT_EQ(m.latent_weight_bytes, 318 * 4);
  EXPECT_EQ(m.gradient_bytes, 318 * 4);
  EXPECT_EQ(m.optimizer_state_bytes, 2 * 318 * 4);
  EXPECT_EQ(m.activation_bytes, 938 * 2 * 4);
  EXPECT_EQ(m.total(), 12592);
  const TrainingMemory sgd = training_memory(view, {.batch_size = 1, .optimizer_state_per_parameter = 0, .count_gradients = false});
  EXPECT_EQ(sgd.total(), 318 * 4 + 938 * 4);
  EXPECT_THROW((void)training_memory(view, {.batch_size = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace bitlab::hw
