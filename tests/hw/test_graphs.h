#pragma once
// Small float IR graphs built layer by layer for the cost-model tests; shapes
// come from ir::infer_shapes, weights are zeros (cost models never read them).
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "hw/precision.h"
#include "ir/shape_inference.h"

namespace bitlab::hw::testing {

class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name = "net") { graph_.name = std::move(name); }

  std::string input(const std::string& name, ir::Shape shape) {
    graph_.add_tensor(ir::float_tensor(name, std::move(shape)));
    graph_.inputs.push_back(name);
    return name;
  }

  std::string conv(const std::string& name, const std::string& x, std::int64_t in_channels, std::int64_t out_channels,
                   std::int64_t kernel, ir::Conv2dAttrs attrs = {}, bool bias = true) {
    const ir::Shape w_shape = {out_channels, in_channels / attrs.groups, kernel, kernel};
    std::vector<std::string> inputs = {x, constant(name + ".w", w_shape)};
    if (bias) inputs.push_back(constant(name + ".b", {out_channels}));
    return add_node(name, ir::OpKind::Conv2d, inputs, attrs);
  }

  std::string linear(const std::string& name, const std::string& x, std::int64_t in, std::int64_t out, bool bias = true) {
    std::vector<std::string> inputs = {x, constant(name + ".w", {out, in})};
    if (bias) inputs.push_back(constant(name + ".b", {out}));
    return add_node(name, ir::OpKind::Linear, inputs, ir::LinearAttrs{});
  }

  std::string op(const std::string& name, ir::OpKind kind, std::vector<std::string> inputs, ir::Attributes attrs) {
    return add_node(name, kind, std::move(inputs), std::move(attrs));
  }

  std::string relu(const std::string& name, const std::string& x) { return op(name, ir::OpKind::Relu, {x}, ir::ReluAttrs{}); }
  std::string pool(const std::string& name, ir::OpKind kind, const std::string& x, std::int64_t k, std::int64_t s) {
    return op(name, kind, {x}, ir::PoolAttrs{.kernel = {k, k}, .stride = {s, s}});
  }

  ir::Graph finish(std::vector<std::string> outputs) {
    graph_.outputs = std::move(outputs);
    ir::infer_shapes(graph_);
    return graph_;
  }

 private:
  std::string constant(const std::string& name, const ir::Shape& shape) {
    graph_.add_tensor(ir::float_constant(name, shape, std::vector<float>(static_cast<std::size_t>(ir::num_elements(shape)))));
    return name;
  }
  std::string add_node(const std::string& name, ir::OpKind kind, std::vector<std::string> inputs, ir::Attributes attrs) {
    const std::string out = name + ".out";
    graph_.add_tensor(ir::float_tensor(out, {}));
    graph_.add_node(ir::Node{name, kind, std::move(inputs), {out}, std::move(attrs)});
    return out;
  }

  ir::Graph graph_;
};

// x [1, 3, 8, 8] -> conv1 3x3 pad 1 (3 -> 4, bias) -> relu1 -> pool1 max 2x2
//   -> conv2 depthwise 3x3 pad 1 (4 channels, no bias) -> add(pool1, conv2) -> avg 2x2
//   -> flatten [1, 16] -> fc (16 -> 10, bias) -> y
// Steps: 0 conv1, 1 relu1, 2 pool1, 3 conv2, 4 add, 5 avg, 6 flatten, 7 fc.
inline ir::Graph small_net() {
  GraphBuilder b("small");
  const std::string x = b.input("x", {1, 3, 8, 8});
  const std::string c1 = b.conv("conv1", x, 3, 4, 3, {.padding = {1, 1}});
  const std::string r1 = b.relu("relu1", c1);
  const std::string p1 = b.pool("pool1", ir::OpKind::MaxPool, r1, 2, 2);
  const std::string d2 = b.conv("conv2", p1, 4, 4, 3, {.padding = {1, 1}, .groups = 4}, false);
  const std::string s = b.op("add", ir::OpKind::Add, {p1, d2}, ir::AddAttrs{});
  const std::string a = b.pool("avg", ir::OpKind::AvgPool, s, 2, 2);
  const std::string f = b.op("flatten", ir::OpKind::Flatten, {a}, ir::FlattenAttrs{});
  const std::string y = b.linear("fc", f, 16, 10);
  return b.finish({y});
}

// The mixed policy the hand-computed cases use: conv1 w4a4, conv2 w2a8, fc w8a8, rest w8a8.
inline hw::PrecisionAssignment small_net_policy() {
  hw::PrecisionAssignment p;
  p.input_bits = 8;
  p.layers = {{"conv1", {4, 4}}, {"conv2", {2, 8}}, {"fc", {8, 8}}};
  return p;
}

}  // namespace bitlab::hw::testing
