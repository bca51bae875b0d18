#pragma once
// The compute layers of an IR graph (float fake-quantised or integer) with the
// shapes, operation counts, tensor sizes and bit widths every cost model reads
// (docs/cost-models.md §1). Counts are per sample: dim 0 of every activation
// shape is the batch and is divided out.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hw/precision.h"
#include "ir/graph.h"

namespace bitlab::hw {

enum class LayerKind : std::uint8_t {
  Conv2d,           // dense or grouped convolution
  DepthwiseConv2d,  // groups = in channels = out channels > 1
  Linear,
  Add,
  AvgPool,
  MaxPool,
};

std::string_view to_string(LayerKind kind);
bool has_weights(LayerKind kind);

struct Layer {
  std::string name;  // the IR node's name
  LayerKind kind = LayerKind::Conv2d;
  int step = 0;      // index of the node in the graph's order

  // Per-sample shapes: [C, H, W] for 2-D ops, [features] for linear.
  ir::Shape input_shape;   // the first input
  ir::Shape output_shape;
  ir::Shape weight_shape;  // [O, I/groups, kh, kw] or [out, in]; empty without weights
  ir::Pair kernel{1, 1};   // conv and pools
  ir::Pair stride{1, 1};
  ir::Pair dilation{1, 1};
  std::int64_t groups = 1;
  int num_inputs = 1;      // add: the number of summed tensors

  std::int64_t weight_elements = 0;
  std::int64_t bias_elements = 0;
  std::int64_t input_elements = 0;   // summed over all activation inputs
  std::int64_t output_elements = 0;

  std::int64_t macs = 0;      // multiply-accumulates (conv, linear)
  std::int64_t adds = 0;      // additions outside MACs: add (k−1)·out, avgpool (kh·kw−1)·out
  std::int64_t compares = 0;  // maxpool (kh·kw−1)·out

  int weight_bits = 0;  // 0 for layers without weights
  int input_bits = 8;   // widest activation input (the MAC operand)
  int output_bits = 8;  // bits of the stored output (after any fused requantisation)
  bool is_graph_output = false;
};

// One activation buffer (activation_values.h): a graph input or a node output
// with all the tensors that alias it.
struct ActivationValue {
  std::string name;  // the root tensor
  std::int64_t elements = 0;  // per sample
  int bits = 8;               // storage width: that of its last alias
  int first_step = 0;
  int last_step = 0;
  bool is_graph_input = false;
  bool is_graph_output = false;
};

struct LayerView {
  std::string graph_name;
  int num_steps = 0;  // nodes in the graph
  std::vector<Layer> layers;
  std::vector<ActivationValue> values;
  // Per sample, over every non-constant tensor (each node output and graph
  // input, aliases included): what training keeps alive for the backward pass.
  std::int64_t all_activation_elements = 0;
  // Over every constant tensor (weights, biases, batch-norm parameters).
  std::int64_t constant_elements = 0;

  [[nodiscard]] const Layer& layer(std::string_view name) const;  // throws std::out_of_range
};

// Contract: extracts every Conv2d, Linear, Add, AvgPool and MaxPool node of a
// graph whose shapes are set (ir::infer_shapes), with widths from `precision`.
// Bits flow along the graph: graph inputs take precision.input_bits; a compute
// layer's output takes its entry's activation_bits (max pooling keeps its
// input's unless named); alias ops and concat pass their (widest) input's bits
// on unless named. Throws std::invalid_argument when `precision` names a node
// the graph lacks (listing the layer names) or holds a width out of range.
LayerView extract_layers(const ir::Graph& graph, const PrecisionAssignment& precision);

// extract_layers(graph, precision_from_graph(graph)).
LayerView extract_layers(const ir::Graph& graph);

}  // namespace bitlab::hw
