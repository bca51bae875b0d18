#include "hw/simd_latency.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace bitlab::hw {
namespace {

// Elements unpacked to the compute width when an operand is narrower than it.
// Weights are unpacked in the inner loop, once per MAC (no L1 room for an
// unpacked copy); activations once per im2col element, i.e. once per MAC of
// one output channel of a group, shared by the group's output channels.
std::int64_t unpacked_elements(const Layer& layer, bool unpack_weights, bool unpack_activations) {
  std::int64_t elements = 0;
  if (unpack_weights) elements += layer.macs;
  if (unpack_activations) {
    const std::int64_t out_channels_per_group = layer.weight_shape.at(0) / layer.groups;
    elements += layer.macs / out_channels_per_group;
  }
  return elements;
}

}  // namespace

int simd_compute_bits(const SimdProfile& profile, int weight_bits, int activation_bits) {
  const int operand_bits = std::max(storage_bits(weight_bits), storage_bits(activation_bits));
  const auto entry = profile.macs_per_cycle.lower_bound(operand_bits);
  if (entry == profile.macs_per_cycle.end()) {
    throw std::invalid_argument(fmt::format("SIMD profile \"{}\" has no dot product for {}-bit operands", profile.name, operand_bits));
  }
  return entry->first;
}

SimdPlacement place(const LayerView& view, const SimdProfile& profile, const MemoryOptions& options) {
  SimdPlacement p;
  p.weight_bytes = weight_memory(view, options).total();
  p.activation_bytes = activation_memory(view, options).plan.arena_bytes;
  p.activations_in_l2 = p.activation_bytes <= profile.memory.l2_bytes;
  const std::int64_t l2_left = profile.memory.l2_bytes - (p.activations_in_l2 ? p.activation_bytes : 0);
  p.weights_in_l2 = p.weight_bytes <= l2_left;
  return p;
}

SimdLayerCost simd_layer_cost(const Layer& layer, const SimdProfile& profile, const SimdPlacement& placement,
                              const SimdLatencyOptions& options) {
  SimdLayerCost c;
  c.layer = layer.name;
  const double cores = profile.cores;
  if (has_weights(layer.kind)) {
    try {
      c.compute_bits = simd_compute_bits(profile, layer.weight_bits, layer.input_bits);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("layer \"{}\": {}", layer.name, e.what()));
    }
    c.unpacked_elements = unpacked_elements(layer, storage_bits(layer.weight_bits) < c.compute_bits,
                                            storage_bits(layer.input_bits) < c.compute_bits);
    c.mac_cycles = static_cast<double>(layer.macs) / (profile.macs_per_cycle.at(c.compute_bits) * cores);
    c.unpack_cycles = static_cast<double>(c.unpacked_elements) * profile.unpack_cycles_per_element / cores;
  }
  // Requantising an output is one scalar op, as are pooling/add additions and max-pool compares.
  const std::int64_t requantised = layer.kind == LayerKind::MaxPool ? 0 : layer.output_elements;
  c.scalar_cycles = static_cast<double>(layer.adds + layer.compares + requantised) / (profile.scalar_ops_per_cycle * cores);

  const std::int64_t weight_bytes = layer_weight_memory(layer, options.memory).total();
  const std::int64_t activation_bytes = packed_bytes(layer.input_elements, layer.input_bits) +
                                        packed_bytes(layer.output_elements, layer.output_bits);
  c.fits_l1 = weight_bytes + activation_bytes <= profile.memory.l1_bytes;
  c.l2_to_l1_cycles = static_cast<double>(weight_bytes + activation_bytes) * profile.memory.l2_to_l1_cycles_per_byte;
  const std::int64_t from_l3 = (placement.weights_in_l2 ? 0 : weight_bytes) + (placement.activations_in_l2 ? 0 : activation_bytes);
  c.l3_to_l2_cycles = static_cast<double>(from_l3) * profile.memory.l3_to_l2_cycles_per_byte;

  const double compute = c.mac_cycles + c.unpack_cycles + c.scalar_cycles;
  const double transfers = c.l2_to_l1_cycles + c.l3_to_l2_cycles;
  c.cycles = options.overlap_transfers ? std::max(compute, transfers) : compute + transfers;
  return c;
}

SimdReport simd_latency(const LayerView& view, const SimdProfile& profile, const SimdLatencyOptions& options) {
  profile.validate();
  SimdReport report;
  report.profile = profile.name;
  report.placement = place(view, profile, options.memory);
  for (const Layer& layer : view.layers) {
    SimdLayerCost c = simd_layer_cost(layer, profile, report.placement, options);
    report.cycles += c.cycles;
    report.layers.push_back(std::move(c));
  }
  report.seconds = report.cycles / profile.frequency_hz;
  return report;
}

}  // namespace bitlab::hw
