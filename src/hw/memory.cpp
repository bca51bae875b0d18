#include "hw/memory.h"

#include <stdexcept>

#include <fmt/format.h>

#include "quant/packing.h"

namespace bitlab::hw {

int storage_bits(int bits) {
  if (bits < 1 || bits > 32) throw std::invalid_argument(fmt::format("storage_bits: {} bits is not in [1, 32]", bits));
  return bits <= quant::QuantSpec::kMaxBits ? quant::field_bits_for(bits) : 32;
}

std::int64_t packed_bytes(std::int64_t elements, int bits) {
  if (elements < 0) throw std::invalid_argument(fmt::format("packed_bytes: {} elements", elements));
  const std::int64_t width = storage_bits(bits);
  return elements / 8 * width + (elements % 8 * width + 7) / 8;  // no overflow in elements · width
}

WeightMemory layer_weight_memory(const Layer& layer, const MemoryOptions& options) {
  if (!has_weights(layer.kind)) return {};
  return {packed_bytes(layer.weight_elements, layer.weight_bits), packed_bytes(layer.bias_elements, options.bias_bits)};
}

WeightMemory weight_memory(const LayerView& view, const MemoryOptions& options) {
  WeightMemory total;
  for (const Layer& layer : view.layers) {
    const WeightMemory m = layer_weight_memory(layer, options);
    total.weight_bytes += m.weight_bytes;
    total.bias_bytes += m.bias_bytes;
  }
  return total;
}

ActivationMemory activation_memory(const LayerView& view, const MemoryOptions& options) {
  ActivationMemory memory;
  for (const ActivationValue& value : view.values) {
    const std::int64_t bytes = packed_bytes(value.elements, value.bits);
    memory.buffers.push_back({value.name, bytes, value.first_step, value.last_step});
    memory.total_bytes += bytes;
  }
  memory.plan = plan_memory(memory.buffers, options.planner);
  return memory;
}

TrainingMemory training_memory(const LayerView& view, const TrainingMemoryOptions& options) {
  if (options.batch_size < 1 || options.float_bytes < 1 || options.optimizer_state_per_parameter < 0) {
    throw std::invalid_argument(fmt::format("training memory: batch size {}, float bytes {} and optimiser state {} "
                                            "must be ≥ 1, ≥ 1 and ≥ 0",
                                            options.batch_size, options.float_bytes, options.optimizer_state_per_parameter));
  }
  TrainingMemory m;
  m.parameters = view.constant_elements;
  m.latent_weight_bytes = m.parameters * options.float_bytes;
  m.gradient_bytes = options.count_gradients ? m.latent_weight_bytes : 0;
  m.optimizer_state_bytes = m.latent_weight_bytes * options.optimizer_state_per_parameter;
  m.activation_bytes = view.all_activation_elements * options.batch_size * options.float_bytes;
  return m;
}

}  // namespace bitlab::hw
