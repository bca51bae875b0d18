#include "ir/shape_inference.h"

#include <fmt/format.h>

#include "ir/error.h"

namespace bitlab::ir {
namespace {

[[noreturn]] void fail(const Node& node, const std::string& message) {
  throw GraphError(fmt::format("node \"{}\" ({}): {}", node.name, to_string(node.op), message));
}

void expect_inputs(const Node& node, std::size_t min, std::size_t max) {
  const std::size_t n = node.inputs.size();
  if (n < min || n > max) {
    fail(node, min == max ? fmt::format("expects {} inputs, has {}", min, n)
                          : fmt::format("expects {} to {} inputs, has {}", min, max, n));
  }
}

const Shape& input_shape(const Graph& graph, const Node& node, std::size_t index) {
  const Tensor* t = graph.find(node.inputs.at(index));
  if (!t) fail(node, fmt::format("input {} \"{}\" is not a tensor of the graph", index, node.inputs[index]));
  return t->shape;
}

void expect_rank(const Node& node, std::size_t index, const Shape& shape, std::size_t rank, std::string_view what) {
  if (shape.size() != rank) {
    fail(node, fmt::format("input {} ({}) must have rank {}, has shape {}", index, what, rank, to_string(shape)));
  }
}

void check_pair(const Node& node, const char* what, const Pair& pair, std::int64_t min) {
  if (pair[0] < min || pair[1] < min) fail(node, fmt::format("{} ({}, {}) must be >= {}", what, pair[0], pair[1], min));
}

Shape same_as_first(const Graph& graph, const Node& node) {
  expect_inputs(node, 1, 1);
  return input_shape(graph, node, 0);
}

Shape spatial(const Node& node, const Shape& x, std::int64_t channels, const Pair& kernel, const Pair& stride,
              const Pair& padding, const Pair& dilation) {
  Shape out{x[0], channels, 0, 0};
  for (int d = 0; d < 2; ++d) {
    out[2 + d] = window_output_size(x[2 + d], kernel[d], stride[d], padding[d], dilation[d]);
    if (out[2 + d] < 1) {
      fail(node, fmt::format("input {} is smaller than the (dilated) window {}x{} with padding ({}, {})",
                             to_string(x), kernel[0], kernel[1], padding[0], padding[1]));
    }
  }
  return out;
}

Shape conv2d(const Graph& graph, const Node& node) {
  expect_inputs(node, 2, 3);
  const auto& a = node.attrs<Conv2dAttrs>();
  const Shape& x = input_shape(graph, node, 0);
  const Shape& w = input_shape(graph, node, 1);
  expect_rank(node, 0, x, 4, "activations N, C, H, W");
  expect_rank(node, 1, w, 4, "weights O, C/groups, kh, kw");
  check_pair(node, "stride", a.stride, 1);
  check_pair(node, "dilation", a.dilation, 1);
  check_pair(node, "padding", a.padding, 0);
  check_pair(node, "kernel", {w[2], w[3]}, 1);
  if (a.groups < 1) fail(node, fmt::format("groups = {} must be >= 1", a.groups));
  if (x[1] % a.groups != 0 || w[0] % a.groups != 0 || w[1] * a.groups != x[1]) {
    fail(node, fmt::format("weights {} do not fit input {} with groups = {} (need C = groups * weights[1] and "
                           "O divisible by groups)",
                           to_string(w), to_string(x), a.groups));
  }
  if (node.inputs.size() == 3 && input_shape(graph, node, 2) != Shape{w[0]}) {
    fail(node, fmt::format("bias {} must have shape [{}]", to_string(input_shape(graph, node, 2)), w[0]));
  }
  return spatial(node, x, w[0], {w[2], w[3]}, a.stride, a.padding, a.dilation);
}

Shape linear(const Graph& graph, const Node& node) {
  expect_inputs(node, 2, 3);
  const Shape& x = input_shape(graph, node, 0);
  const Shape& w = input_shape(graph, node, 1);
  expect_rank(node, 0, x, 2, "activations N, in");
  expect_rank(node, 1, w, 2, "weights out, in");
  if (w[1] != x[1]) fail(node, fmt::format("weights {} do not fit input {}", to_string(w), to_string(x)));
  if (node.inputs.size() == 3 && input_shape(graph, node, 2) != Shape{w[0]}) {
    fail(node, fmt::format("bias {} must have shape [{}]", to_string(input_shape(graph, node, 2)), w[0]));
  }
  return {x[0], w[0]};
}

Shape add(const Graph& graph, const Node& node) {
  if (node.inputs.size() < 2) fail(node, fmt::format("expects at least 2 inputs, has {}", node.inputs.size()));
  const Shape& first = input_shape(graph, node, 0);
  for (std::size_t i = 1; i < node.inputs.size(); ++i) {
    if (input_shape(graph, node, i) != first) {
      fail(node, fmt::format("input {} has shape {} but input 0 has {} (add does not broadcast)", i,
                             to_string(input_shape(graph, node, i)), to_string(first)));
    }
  }
  return first;
}

Shape concat(const Graph& graph, const Node& node) {
  if (node.inputs.empty()) fail(node, "expects at least 1 input");
  const auto axis = node.attrs<ConcatAttrs>().axis;
  Shape out = input_shape(graph, node, 0);
  if (axis < 0 || axis >= static_cast<std::int64_t>(out.size())) {
    fail(node, fmt::format("axis {} is outside [0, {})", axis, out.size()));
  }
  for (std::size_t i = 1; i < node.inputs.size(); ++i) {
    const Shape& s = input_shape(graph, node, i);
    bool fits = s.size() == out.size();
    for (std::size_t d = 0; fits && d < s.size(); ++d) fits = static_cast<std::int64_t>(d) == axis || s[d] == out[d];
    if (!fits) {
      fail(node, fmt::format("input {} has shape {}, which differs from input 0's {} outside axis {}", i,
                             to_string(s), to_string(input_shape(graph, node, 0)), axis));
    }
    out[axis] += s[axis];
  }
  return out;
}

Shape pool(const Graph& graph, const Node& node) {
  expect_inputs(node, 1, 1);
  const auto& a = node.attrs<PoolAttrs>();
  const Shape& x = input_shape(graph, node, 0);
  expect_rank(node, 0, x, 4, "activations N, C, H, W");
  check_pair(node, "kernel", a.kernel, 1);
  check_pair(node, "stride", a.stride, 1);
  check_pair(node, "padding", a.padding, 0);
  // A window made only of padding would have no defined maximum (§14.6).
  if (a.padding[0] * 2 > a.kernel[0] || a.padding[1] * 2 > a.kernel[1]) {
    fail(node, fmt::format("padding ({}, {}) must be at most half the kernel ({}, {})", a.padding[0], a.padding[1],
                           a.kernel[0], a.kernel[1]));
  }
  return spatial(node, x, x[1], a.kernel, a.stride, a.padding, {1, 1});
}

Shape flatten(const Graph& graph, const Node& node) {
  expect_inputs(node, 1, 1);
  const Shape& x = input_shape(graph, node, 0);
  const auto axis = node.attrs<FlattenAttrs>().axis;
  if (axis < 0 || axis > static_cast<std::int64_t>(x.size())) {
    fail(node, fmt::format("axis {} is outside [0, {}]", axis, x.size()));
  }
  Shape out(x.begin(), x.begin() + axis);
  out.push_back(num_elements(Shape(x.begin() + axis, x.end())));
  return out;
}

Shape reshape(const Graph& graph, const Node& node) {
  expect_inputs(node, 1, 1);
  const Shape& x = input_shape(graph, node, 0);
  Shape out = node.attrs<ReshapeAttrs>().shape;
  std::int64_t known = 1;
  int inferred = -1;
  for (std::size_t d = 0; d < out.size(); ++d) {
    if (out[d] == -1 && inferred < 0) {
      inferred = static_cast<int>(d);
    } else if (out[d] < 0) {
      fail(node, fmt::format("target shape {} may hold one -1 and otherwise dims >= 0", to_string(out)));
    } else {
      known *= out[d];
    }
  }
  const std::int64_t total = num_elements(x);
  const bool inferable = known > 0 && total % known == 0;
  if (inferred >= 0 && inferable) out[inferred] = total / known;
  if ((inferred >= 0 && !inferable) || num_elements(out) != total) {
    fail(node, fmt::format("cannot reshape {} ({} elements) to {}", to_string(x), total,
                           to_string(node.attrs<ReshapeAttrs>().shape)));
  }
  return out;
}

}  // namespace

std::int64_t window_output_size(std::int64_t size, std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                                std::int64_t dilation) {
  const std::int64_t span = size + 2 * padding - dilation * (kernel - 1) - 1;
  if (span < 0) return 0;
  return span / stride + 1;
}

Shape infer_output_shape(const Graph& graph, const Node& node) {
  if (!attributes_match(node.op, node.attributes)) fail(node, "its attributes belong to another op");
  switch (node.op) {
    case OpKind::Quant:
    case OpKind::Relu:
    case OpKind::Requant:
    case OpKind::Clip: return same_as_first(graph, node);
    case OpKind::BatchNorm: {
      expect_inputs(node, 5, 5);  // x, gamma, beta, mean, var
      const Shape& x = input_shape(graph, node, 0);
      if (x.size() < 2) fail(node, fmt::format("input {} needs a channel axis 1", to_string(x)));
      for (std::size_t i = 1; i < 5; ++i) {
        if (input_shape(graph, node, i) != Shape{x[1]}) {
          fail(node, fmt::format("input {} must have shape [{}], has {}", i, x[1],
                                 to_string(input_shape(graph, node, i))));
        }
      }
      return x;
    }
    case OpKind::Conv2d: return conv2d(graph, node);
    case OpKind::Linear: return linear(graph, node);
    case OpKind::Add: return add(graph, node);
    case OpKind::Concat: return concat(graph, node);
    case OpKind::AvgPool:
    case OpKind::MaxPool: return pool(graph, node);
    case OpKind::Flatten: return flatten(graph, node);
    case OpKind::Reshape: return reshape(graph, node);
  }
  fail(node, "unknown op");
}

void infer_shapes(Graph& graph) {
  for (const Node& node : graph.nodes) {
    if (node.outputs.size() != 1) fail(node, fmt::format("must have exactly 1 output, has {}", node.outputs.size()));
    Shape shape = infer_output_shape(graph, node);
    Tensor* out = graph.find(node.outputs[0]);
    if (!out) fail(node, fmt::format("output \"{}\" is not a tensor of the graph", node.outputs[0]));
    out->shape = std::move(shape);
  }
}

}  // namespace bitlab::ir
