#include "hw/bit_counts.h"

namespace bitlab::hw {

std::int64_t bops(const Layer& layer) {
  if (!has_weights(layer.kind)) return 0;
  return layer.macs * layer.weight_bits * layer.input_bits;
}

LayerBits layer_bits(const Layer& layer, const TotalBitsOptions& options) {
  LayerBits bits;
  bits.parameter_bits = layer.weight_elements * layer.weight_bits + layer.bias_elements * options.bias_bits;
  const int output_width = layer.is_graph_output && options.output_bits ? *options.output_bits : layer.output_bits;
  bits.activation_bits = layer.output_elements * output_width;
  return bits;
}

TotalBits total_bits(const LayerView& view, const TotalBitsOptions& options) {
  TotalBits total;
  for (const ActivationValue& value : view.values) {
    if (value.is_graph_input) total.input_bits += value.elements * options.input_bits.value_or(value.bits);
  }
  for (const Layer& layer : view.layers) {
    const LayerBits bits = layer_bits(layer, options);
    total.parameter_bits += bits.parameter_bits;
    total.activation_bits += bits.activation_bits;
  }
  return total;
}

}  // namespace bitlab::hw
