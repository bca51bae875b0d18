#pragma once
// Output shapes of IR nodes (layouts: NCHW activations, [O, I/groups, kh, kw]
// conv weights, [out, in] linear weights; formulas in docs/integer-spec.md §14).
#include "ir/graph.h"

namespace bitlab::ir {

// Contract: returns the shape `node`'s output must have given its input
// tensors' shapes and its attributes, or throws GraphError naming the node.
Shape infer_output_shape(const Graph& graph, const Node& node);

// Contract: visits nodes in order and overwrites each output tensor's shape
// with infer_output_shape, so later nodes see inferred shapes; throws
// GraphError for a node whose shape cannot be inferred.
void infer_shapes(Graph& graph);

// floor((size + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1, the
// output extent of a convolution or pooling window along one dim.
std::int64_t window_output_size(std::int64_t size, std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                                std::int64_t dilation = 1);

}  // namespace bitlab::ir
