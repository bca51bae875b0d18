#pragma once
// Small hand-built IR graphs shared by the ir and runtime tests.
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/requant_params.h"
#include "quant/dyadic.h"

namespace bitlab::ir::testing {

inline ElementType u8() { return ElementType::integer(8, false); }
inline ElementType i8() { return ElementType::integer(8, true); }
inline ElementType i32() { return ElementType::integer(32, true); }

inline Node node(std::string name, OpKind op, std::vector<std::string> inputs, std::string output,
                 Attributes attributes) {
  return Node{std::move(name), op, std::move(inputs), {std::move(output)}, std::move(attributes)};
}

// x (uint8, s 0.05, z 3) [1, 2, 4, 4]
//  -> conv2d 3x3 pad 1 (int4 narrow per-channel weights, int32 bias) -> acc1 (int32 per channel)
//  -> requant with ReLU -> a1 (uint8, s 0.1, z 0)
//  -> maxpool 2x2 -> p1 -> flatten -> f1 [1, 12]
//  -> linear (int8 weights) -> acc2 -> requant -> y (int8, s 0.2, z -1)
inline Graph integer_net() {
  Graph g;
  g.name = "tiny";
  const double sx = 0.05;
  const std::vector<double> sw = {0.01, 0.02, 0.04};
  g.add_tensor(int_tensor("x", {1, 2, 4, 4}, u8(), Quantization::per_tensor(sx, 3)));
  std::vector<std::int64_t> w1;
  for (int i = 0; i < 3 * 2 * 3 * 3; ++i) w1.push_back((i * 5) % 15 - 7);  // int4 narrow: [-7, 7]
  g.add_tensor(int_constant("w1", {3, 2, 3, 3}, ElementType::integer(4, true, true), Quantization::per_channel(0, sw), w1));
  g.add_tensor(int_constant("b1", {3}, i32(), Quantization::per_channel(0, {sx * sw[0], sx * sw[1], sx * sw[2]}), {100, -50, 7}));
  g.add_tensor(int_tensor("acc1", {1, 3, 4, 4}, i32(), Quantization::per_channel(1, {sx * sw[0], sx * sw[1], sx * sw[2]})));
  g.add_tensor(int_tensor("a1", {1, 3, 4, 4}, u8(), Quantization::per_tensor(0.1)));
  g.add_tensor(int_tensor("p1", {1, 3, 2, 2}, u8(), Quantization::per_tensor(0.1)));
  g.add_tensor(int_tensor("f1", {1, 12}, u8(), Quantization::per_tensor(0.1)));
  std::vector<std::int64_t> w2;
  for (int i = 0; i < 5 * 12; ++i) w2.push_back((i * 37) % 255 - 127);
  g.add_tensor(int_constant("w2", {5, 12}, i8(), Quantization::per_tensor(0.003), w2));
  g.add_tensor(int_tensor("acc2", {1, 5}, i32(), Quantization::per_tensor(0.1 * 0.003)));
  g.add_tensor(int_tensor("y", {1, 5}, i8(), Quantization::per_tensor(0.2, -1)));
  g.inputs = {"x"};
  g.outputs = {"y"};

  g.add_node(node("conv1", OpKind::Conv2d, {"x", "w1", "b1"}, "acc1", Conv2dAttrs{.padding = {1, 1}}));
  const std::vector<double> m1 = {sx * sw[0] / 0.1, sx * sw[1] / 0.1, sx * sw[2] / 0.1};
  g.add_node(node("rq1", OpKind::Requant, {"acc1"}, "a1",
                  make_requant(m1, quant::OutputClamp{0, 255}, 1)));
  g.add_node(node("pool1", OpKind::MaxPool, {"a1"}, "p1", PoolAttrs{}));
  g.add_node(node("flat", OpKind::Flatten, {"p1"}, "f1", FlattenAttrs{}));
  g.add_node(node("fc", OpKind::Linear, {"f1", "w2"}, "acc2", LinearAttrs{}));
  const std::vector<double> m2 = {0.1 * 0.003 / 0.2};
  g.add_node(node("rq2", OpKind::Requant, {"acc2"}, "y", make_requant(m2, quant::OutputClamp{-128, 127})));
  return g;
}

// The fake-quantised float graph before conversion:
// x -> quant -> conv2d (float weights + weight_quant) -> batchnorm -> relu -> quant -> avgpool
//   -> add with a second quantised branch -> concat -> reshape -> y
inline Graph float_net() {
  Graph g;
  g.name = "fq";
  g.add_tensor(float_tensor("x", {1, 1, 4, 4}));
  g.add_tensor(float_tensor("xq", {1, 1, 4, 4}));
  g.add_tensor(float_constant("w", {2, 1, 3, 3}, std::vector<float>(18, 0.25f)));
  g.add_tensor(float_constant("b", {2}, {0.5f, -0.5f}));
  g.add_tensor(float_tensor("c", {1, 2, 4, 4}));
  for (const char* p : {"gamma", "beta", "mean", "var"}) g.add_tensor(float_constant(p, {2}, {1.0f, 2.0f}));
  g.add_tensor(float_tensor("bn", {1, 2, 4, 4}));
  g.add_tensor(float_tensor("r", {1, 2, 4, 4}));
  g.add_tensor(float_tensor("rq", {1, 2, 4, 4}));
  g.add_tensor(float_tensor("ap", {1, 2, 2, 2}));
  g.add_tensor(float_tensor("mp", {1, 2, 2, 2}));
  g.add_tensor(float_tensor("sum", {1, 2, 2, 2}));
  g.add_tensor(float_tensor("cat", {1, 4, 2, 2}));
  g.add_tensor(float_tensor("y", {1, 16}));
  g.inputs = {"x"};
  g.outputs = {"y"};
  const quant::QuantSpec act{.bits = 8, .is_signed = false, .symmetric = false, .scales = {0.05}, .zero_points = {3}};
  const quant::QuantSpec weights{.bits = 4, .narrow_range = true, .granularity = quant::Granularity::PerChannel,
                                 .scales = {0.1, 0.2}};
  g.add_node(node("q0", OpKind::Quant, {"x"}, "xq", QuantAttrs{act, quant::RoundingMode::HalfToEven}));
  g.add_node(node("conv", OpKind::Conv2d, {"xq", "w", "b"}, "c", Conv2dAttrs{.padding = {1, 1}, .weight_quant = weights}));
  g.add_node(node("bn", OpKind::BatchNorm, {"c", "gamma", "beta", "mean", "var"}, "bn", BatchNormAttrs{1e-3}));
  g.add_node(node("relu", OpKind::Relu, {"bn"}, "r", ReluAttrs{}));
  g.add_node(node("q1", OpKind::Quant, {"r"}, "rq", QuantAttrs{act, quant::RoundingMode::HalfAwayFromZero}));
  g.add_node(node("avg", OpKind::AvgPool, {"rq"}, "ap", PoolAttrs{}));
  g.add_node(node("max", OpKind::MaxPool, {"rq"}, "mp", PoolAttrs{.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}));
  g.add_node(node("add", OpKind::Add, {"ap", "mp"}, "sum", AddAttrs{}));
  g.add_node(node("cat", OpKind::Concat, {"sum", "mp"}, "cat", ConcatAttrs{1}));
  g.add_node(node("reshape", OpKind::Reshape, {"cat"}, "y", ReshapeAttrs{{1, -1}}));
  return g;
}

}  // namespace bitlab::ir::testing
