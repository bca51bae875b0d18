#pragma once
// Latency of a precision-scalable accelerator built from Sum-Together
// multipliers, against a standard 16-bit accelerator with the same memories
// (docs/cost-models.md §6). Time is counted in tiles: one tile is one pass of
// the array over what fits its input, weight and output memories; the
// standard accelerator takes 1 per tile, the scalable one the relative tile
// latency of the precision configuration the layer runs in.
#include <cstdint>
#include <string>
#include <vector>

#include "hw/layer_view.h"

namespace bitlab::hw {

// One operand-precision configuration of the multipliers, high × low bits.
struct ScalableConfig {
  int high_bits = 16;
  int low_bits = 16;
  double relative_tile_latency = 1.0;  // versus one tile of the standard accelerator
  bool operator==(const ScalableConfig&) const = default;
};

// Input and output memories hold rows × cols × channels activations each; the
// weight memory kernel_rows × kernel_cols filters for channels input and
// channels output channels (conv), or channels filters (depthwise).
struct TileMemory {
  std::int64_t rows = 18;
  std::int64_t cols = 18;
  std::int64_t channels = 16;
  std::int64_t kernel_rows = 7;
  std::int64_t kernel_cols = 7;
};

struct LinearTileMemory {
  std::int64_t inputs = 256;  // input memory; weights inputs × outputs
  std::int64_t outputs = 16;
};

struct AcceleratorOptions {
  std::vector<int> supported_bits = {4, 8, 16};
  std::vector<ScalableConfig> configs = {
      {16, 16, 1.0}, {16, 8, 1.0}, {8, 8, 0.5}, {8, 4, 0.5}, {4, 4, 0.25},
  };
  TileMemory conv = {18, 18, 16, 7, 7};
  TileMemory depthwise = {22, 22, 16, 5, 5};
  LinearTileMemory linear = {256, 16};
};

// Tiles of one layer: the product of the ceilings below (1 where a factor
// does not apply). Rows and cols count output blocks; in_channels splits the
// accumulation over input channels; kernel_pieces splits it over sub-kernels
// of a kernel larger than the weight memory; groups repeats everything per group.
struct TileCount {
  std::int64_t groups = 1;
  std::int64_t rows = 1;
  std::int64_t cols = 1;
  std::int64_t out_channels = 1;
  std::int64_t in_channels = 1;
  std::int64_t kernel_pieces = 1;
  [[nodiscard]] std::int64_t total() const { return groups * rows * cols * out_channels * in_channels * kernel_pieces; }
};

// A kernel extent split into equal sub-kernels that fit the weight memory:
// pieces = ceil(kernel / memory_kernel) of extent ceil(kernel / pieces) each
// (the last one possibly shorter, run on the same output blocks).
struct KernelSplit {
  std::int64_t pieces = 1;
  std::int64_t extent = 1;
};
KernelSplit split_kernel(std::int64_t kernel, std::int64_t memory_kernel);

// Output rows (or cols) one tile computes: as many as fit the output memory
// and whose input window, (t − 1)·stride + dilation·(kernel − 1) + 1 rows
// including the kernel's halo, fits the input memory.
std::int64_t outputs_per_tile(std::int64_t memory_extent, std::int64_t kernel, std::int64_t stride, std::int64_t dilation);

// A kernel larger than the weight memory runs as sub-kernels (split_kernel)
// accumulating into the same outputs. Throws std::invalid_argument naming the
// layer when a sub-kernel's dilated window exceeds the input memory; zero
// tiles for layers the accelerator does not run (add, pools).
TileCount count_tiles(const Layer& layer, const AcceleratorOptions& options = {});

// Smallest supported precision ≥ bits (2 -> 4, 5 -> 8); throws std::invalid_argument above the widest.
int round_up_precision(int bits, const AcceleratorOptions& options = {});
// The configuration for the rounded operands (high = wider, low = narrower);
// when that pair is not offered the low operand is rounded up further (16 × 4 -> 16 × 8).
ScalableConfig select_config(int weight_bits, int activation_bits, const AcceleratorOptions& options = {});

struct AcceleratorLayerCost {
  std::string layer;
  bool on_accelerator = false;  // conv, depthwise conv and linear layers
  TileCount tiles;
  ScalableConfig config;
  double latency = 0.0;           // tiles × config.relative_tile_latency
  double standard_latency = 0.0;  // tiles × 1
};

struct AcceleratorReport {
  std::vector<AcceleratorLayerCost> layers;
  double latency = 0.0;
  double standard_latency = 0.0;
  // standard_latency / latency (1 for a network without accelerated layers).
  [[nodiscard]] double speedup() const { return latency > 0.0 ? standard_latency / latency : 1.0; }
};

AcceleratorLayerCost accelerator_layer_cost(const Layer& layer, const AcceleratorOptions& options = {});
AcceleratorReport accelerator_latency(const LayerView& view, const AcceleratorOptions& options = {});

}  // namespace bitlab::hw
