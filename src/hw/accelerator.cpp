#include "hw/accelerator.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace bitlab::hw {
namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

struct SpatialTile {
  std::int64_t rows = 0;  // output rows and cols per tile
  std::int64_t cols = 0;
  std::int64_t kernel_pieces = 1;
};

// Output rows and cols per tile for a 2-D layer on `memory`, or an error naming
// the layer. Every sub-kernel uses the same output blocks, sized for the
// largest sub-kernel's input window, so their partial sums accumulate in place.
SpatialTile spatial_tile(const Layer& layer, const TileMemory& memory) {
  const KernelSplit kr = split_kernel(layer.kernel[0], memory.kernel_rows);
  const KernelSplit kc = split_kernel(layer.kernel[1], memory.kernel_cols);
  SpatialTile t;
  t.rows = outputs_per_tile(memory.rows, kr.extent, layer.stride[0], layer.dilation[0]);
  t.cols = outputs_per_tile(memory.cols, kc.extent, layer.stride[1], layer.dilation[1]);
  t.kernel_pieces = kr.pieces * kc.pieces;
  if (t.rows < 1 || t.cols < 1) {
    throw std::invalid_argument(fmt::format("layer \"{}\": its dilated {}×{} (sub-)kernel spans more than the "
                                            "accelerator's {}×{} input memory",
                                            layer.name, kr.extent, kc.extent, memory.rows, memory.cols));
  }
  return t;
}

}  // namespace

KernelSplit split_kernel(std::int64_t kernel, std::int64_t memory_kernel) {
  KernelSplit k;
  k.pieces = ceil_div(kernel, memory_kernel);
  k.extent = ceil_div(kernel, k.pieces);
  return k;
}

std::int64_t outputs_per_tile(std::int64_t memory_extent, std::int64_t kernel, std::int64_t stride, std::int64_t dilation) {
  const std::int64_t window = dilation * (kernel - 1) + 1;
  if (window > memory_extent) return 0;
  return std::min(memory_extent, (memory_extent - window) / stride + 1);
}

TileCount count_tiles(const Layer& layer, const AcceleratorOptions& options) {
  TileCount t;
  switch (layer.kind) {
    case LayerKind::Conv2d: {
      const SpatialTile s = spatial_tile(layer, options.conv);
      t.kernel_pieces = s.kernel_pieces;
      t.groups = layer.groups;
      t.rows = ceil_div(layer.output_shape.at(1), s.rows);
      t.cols = ceil_div(layer.output_shape.at(2), s.cols);
      t.out_channels = ceil_div(layer.output_shape.at(0) / layer.groups, options.conv.channels);
      t.in_channels = ceil_div(layer.input_shape.at(0) / layer.groups, options.conv.channels);
      return t;
    }
    case LayerKind::DepthwiseConv2d: {
      const SpatialTile s = spatial_tile(layer, options.depthwise);
      t.kernel_pieces = s.kernel_pieces;
      t.rows = ceil_div(layer.output_shape.at(1), s.rows);
      t.cols = ceil_div(layer.output_shape.at(2), s.cols);
      t.out_channels = ceil_div(layer.output_shape.at(0), options.depthwise.channels);
      return t;
    }
    case LayerKind::Linear:
      t.out_channels = ceil_div(layer.weight_shape.at(0), options.linear.outputs);
      t.in_channels = ceil_div(layer.weight_shape.at(1), options.linear.inputs);
      return t;
    default: return {0, 0, 0, 0, 0, 0};
  }
}

int round_up_precision(int bits, const AcceleratorOptions& options) {
  int best = 0;
  for (const int supported : options.supported_bits)
    if (supported >= bits && (best == 0 || supported < best)) best = supported;
  if (best == 0) {
    throw std::invalid_argument(fmt::format("{}-bit operands exceed the accelerator's widest precision", bits));
  }
  return best;
}

ScalableConfig select_config(int weight_bits, int activation_bits, const AcceleratorOptions& options) {
  const int high = round_up_precision(std::max(weight_bits, activation_bits), options);
  int low = round_up_precision(std::min(weight_bits, activation_bits), options);
  while (true) {
    for (const ScalableConfig& c : options.configs)
      if (c.high_bits == high && c.low_bits == low) return c;
    if (low >= high) break;
    low = round_up_precision(low + 1, options);
  }
  throw std::invalid_argument(fmt::format("the accelerator offers no configuration for {}×{}-bit operands", high, low));
}

AcceleratorLayerCost accelerator_layer_cost(const Layer& layer, const AcceleratorOptions& options) {
  AcceleratorLayerCost cost;
  cost.layer = layer.name;
  cost.on_accelerator = has_weights(layer.kind);
  if (!cost.on_accelerator) {
    cost.tiles = {0, 0, 0, 0, 0, 0};
    cost.config = {0, 0, 0.0};
    return cost;
  }
  try {
    cost.config = select_config(layer.weight_bits, layer.input_bits, options);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("layer \"{}\" (w{}a{}): {}", layer.name, layer.weight_bits, layer.input_bits, e.what()));
  }
  cost.tiles = count_tiles(layer, options);
  const auto tiles = static_cast<double>(cost.tiles.total());
  cost.latency = tiles * cost.config.relative_tile_latency;
  cost.standard_latency = tiles;
  return cost;
}

AcceleratorReport accelerator_latency(const LayerView& view, const AcceleratorOptions& options) {
  AcceleratorReport report;
  for (const Layer& layer : view.layers) {
    AcceleratorLayerCost cost = accelerator_layer_cost(layer, options);
    report.latency += cost.latency;
    report.standard_latency += cost.standard_latency;
    report.layers.push_back(std::move(cost));
  }
  return report;
}

}  // namespace bitlab::hw
