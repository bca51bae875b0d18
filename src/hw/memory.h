#pragma once
// Memory footprints (docs/cost-models.md §4): packed weights, the activation
// arena of an integer deployment, and what training the same network needs.
#include <cstdint>
#include <vector>

#include "hw/layer_view.h"
#include "hw/memory_plan.h"

namespace bitlab::hw {

// Bits one element occupies in memory: codes of up to 16 bits sit in a 1-, 2-,
// 4-, 8- or 16-bit field (docs/integer-spec.md §12: 3 -> 4, 5 -> 8); wider
// values (float32, int32) take 32 bits.
int storage_bits(int bits);
// ceil(elements · storage_bits(bits) / 8).
std::int64_t packed_bytes(std::int64_t elements, int bits);

struct MemoryOptions {
  int bias_bits = 32;  // int32 biases (docs/integer-spec.md §13)
  PlannerOptions planner = {};
};

struct WeightMemory {
  std::int64_t weight_bytes = 0;  // packed, each layer's tensor rounded up to whole bytes
  std::int64_t bias_bytes = 0;
  [[nodiscard]] std::int64_t total() const { return weight_bytes + bias_bytes; }
};

WeightMemory layer_weight_memory(const Layer& layer, const MemoryOptions& options = {});
WeightMemory weight_memory(const LayerView& view, const MemoryOptions& options = {});

struct ActivationMemory {
  std::vector<BufferRequest> buffers;  // one per activation value, packed bytes
  MemoryPlan plan;
  // Bytes of the activations if nothing were ever freed (Σ buffers).
  std::int64_t total_bytes = 0;
};

// The activation arena: every value (activation_values.h) as a packed buffer
// over its lifetime, placed by plan_memory.
ActivationMemory activation_memory(const LayerView& view, const MemoryOptions& options = {});

struct TrainingMemoryOptions {
  std::int64_t batch_size = 32;
  int float_bytes = 4;  // latent weights, gradients, optimiser state and activations are float32
  // Float values of optimiser state per parameter: Adam keeps two moments (2),
  // SGD with momentum one (1), plain SGD none (0).
  int optimizer_state_per_parameter = 2;
  bool count_gradients = true;  // one gradient per parameter during the backward pass
};

struct TrainingMemory {
  std::int64_t parameters = 0;
  std::int64_t latent_weight_bytes = 0;  // float copies QAT updates (and quantises on the fly)
  std::int64_t gradient_bytes = 0;
  std::int64_t optimizer_state_bytes = 0;
  std::int64_t activation_bytes = 0;  // every activation tensor × batch, kept for backward
  [[nodiscard]] std::int64_t total() const {
    return latent_weight_bytes + gradient_bytes + optimizer_state_bytes + activation_bytes;
  }
};

// Parameters are all constants of the graph (weights, biases, batch-norm
// parameters); activations every non-constant tensor (view.all_activation_elements).
TrainingMemory training_memory(const LayerView& view, const TrainingMemoryOptions& options = {});

}  // namespace bitlab::hw
