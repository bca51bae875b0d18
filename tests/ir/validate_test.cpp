#include "ir/validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "ir/error.h"
#include "sample_graphs.h"

namespace bitlab::ir {
namespace {

using ::testing::HasSubstr;
using testing::node;

void expect_invalid(Graph g, const std::string& message) {
  EXPECT_THAT([&] { validate(g); }, ::testing::ThrowsMessage<GraphError>(HasSubstr(message)));
}

Graph edited(Graph g, const std::function<void(Graph&)>& edit) {
  edit(g);
  return g;
}

Node& find_node(Graph& g, const std::string& name) {
  for (Node& n : g.nodes)
    if (n.name == name) return n;
  throw std::logic_error("no node " + name);
}

TEST(Validate, AcceptsTheSampleGraphs) {
  EXPECT_NO_THROW(validate(testing::integer_net()));
  EXPECT_NO_THROW(validate_integer_graph(testing::integer_net()));
  EXPECT_NO_THROW(validate(testing::float_net()));
  EXPECT_THAT([] { validate_integer_graph(testing::float_net()); },
              ::testing::ThrowsMessage<GraphError>(HasSubstr("is float32; an integer graph holds integers only")));
}

TEST(Validate, NamesAndGraphInterface) {
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensors[3].name = g.tensors[0].name; }), "two tensors are named \"x\"");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.nodes[1].name = "conv1"; }), "two nodes are named \"conv1\"");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.inputs.clear(); }), "has no inputs");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.outputs = {"nope"}; }), "graph output \"nope\" is not a tensor");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.inputs = {"w1"}; }), "is a graph input but holds constant data");
}

TEST(Validate, TopologicalOrderAndDanglingTensors) {
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { std::swap(g.nodes[0], g.nodes[1]); }),
                 "node \"rq1\" (requant): input 0 \"acc1\" is produced by node \"conv1\", which comes later");
  expect_invalid(edited(testing::integer_net(),
                        [](Graph& g) {
                          g.add_tensor(int_tensor("ghost", {1, 3, 4, 4}, testing::u8(), Quantization::per_tensor(0.1)));
                          find_node(g, "pool1").inputs = {"ghost"};
                        }),
                 "input 0 \"ghost\" is dangling");
  expect_invalid(edited(testing::integer_net(),
                        [](Graph& g) { g.add_tensor(int_tensor("unused", {1}, testing::u8(), Quantization::per_tensor(1.0))); }),
                 "tensor \"unused\": is dangling: no node reads it");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { find_node(g, "pool1").inputs = {"missing"}; }),
                 "input 0 \"missing\" is not a tensor of the graph");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { find_node(g, "flat").outputs = {"a1"}; }),
                 "output \"a1\" is already a graph input or another node's output");
}

TEST(Validate, DeclaredShapesMustMatchInference) {
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensor("f1").shape = {1, 13}; }),
                 "output \"f1\" is declared [1, 13] but the inputs give [1, 12]");
}

TEST(Validate, TensorContents) {
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { (*g.tensor("w1").int_data)[4] = -8; }),
                 "value -8 at index 4 is outside int4 [-7, 7]");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensor("w2").int_data->pop_back(); }),
                 "holds 59 values but its shape [5, 12] has 60 elements");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensor("x").quantization->zero_points = {300}; }),
                 "zero point 300 is outside uint8 [0, 255]");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensor("w1").quantization->scales.pop_back(); }),
                 "per_channel axis 0 has 3 channels but 2 scales");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensor("x").quantization->scales = {-1.0}; }),
                 "scale -1 must be finite and > 0");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensor("x").quantization.reset(); }),
                 "needs a quantisation");
}

TEST(Validate, PrecisionOfWeightedOps) {
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensor("w1").int_data.reset(); g.inputs.push_back("w1"); }),
                 "weights \"w1\" must be a constant");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensor("acc1").quantization->scales[1] = 0.5; }),
                 "accumulator \"acc1\" channel 1 has scale 0.5 but s_x * s_w = 0.001");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensor("b1").quantization->zero_points = {0, 1, 0}; }),
                 "bias \"b1\" must have zero point 0");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensor("acc2").type = testing::u8(); }),
                 "must be int32 or int64, is uint8");
  // §13 with the actual weights: uint16 codes (Ax = 65535) times 12 int16 weights of 32767.
  Graph wide = edited(testing::integer_net(), [](Graph& g) {
    g.tensor("f1").type = g.tensor("p1").type = g.tensor("a1").type = ElementType::integer(16, false);
    g.tensor("w2").type = ElementType::integer(16, true);
    for (auto& v : *g.tensor("w2").int_data) v = 32767;
  });
  expect_invalid(wide, "accumulator \"acc2\" (int32) can overflow: |acc| can reach 25768624140");
  wide.tensor("acc2").type = ElementType::integer(64, true);
  EXPECT_NO_THROW(validate(wide));
}

TEST(Validate, PrecisionOfOtherIntegerOps) {
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { g.tensor("p1").quantization->zero_points = {1}; }),
                 "\"a1\" and \"p1\" must have the same element type, scales and zero points");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { std::get<RequantAttrs>(find_node(g, "rq1").attributes).hi = 256; }),
                 "clamp [0, 256] must satisfy 0 <= lo <= hi <= 255");
  expect_invalid(edited(testing::integer_net(),
                        [](Graph& g) { std::get<RequantAttrs>(find_node(g, "rq1").attributes).multipliers.pop_back(); }),
                 "2 multipliers do not match axis 1");
  expect_invalid(edited(testing::integer_net(),
                        [](Graph& g) { std::get<RequantAttrs>(find_node(g, "rq2").attributes).multipliers[0].shift = 63; }),
                 "shift 63 must be in [0, 62]");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { find_node(g, "flat").attributes = ReluAttrs{}; }),
                 "its attributes belong to another op");
  expect_invalid(edited(testing::integer_net(), [](Graph& g) { find_node(g, "rq1").op = OpKind::Relu; find_node(g, "rq1").attributes = ReluAttrs{}; }),
                 "is a float-only op but its tensors are integers");
}

TEST(Validate, IntegerAddAndConcat) {
  Graph g;
  g.add_tensor(int_tensor("a", {1, 4}, testing::u8(), Quantization::per_tensor(0.1, 5)));
  g.add_tensor(int_tensor("b", {1, 4}, testing::i8(), Quantization::per_tensor(0.3)));
  g.add_tensor(int_tensor("s", {1, 4}, testing::i8(), Quantization::per_tensor(0.25, 2)));
  g.add_tensor(int_tensor("c", {1, 8}, testing::i8(), Quantization::per_tensor(0.25, 2)));
  g.inputs = {"a", "b"};
  g.outputs = {"c"};
  const std::vector<double> scales = {0.1, 0.3};
  g.add_node(node("add", OpKind::Add, {"a", "b"}, "s", AddAttrs{make_add_requant(scales, 0.25, {-128, 127})}));
  g.add_node(node("cat", OpKind::Concat, {"s", "s"}, "c", ConcatAttrs{1}));
  EXPECT_NO_THROW(validate(g));
  expect_invalid(edited(g, [](Graph& h) { find_node(h, "add").attributes = AddAttrs{}; }),
                 "an integer add needs its requantisation");
  expect_invalid(edited(g, [](Graph& h) { std::get<AddAttrs>(find_node(h, "add").attributes).requant->multipliers.pop_back(); }),
                 "has 2 inputs but 1 multipliers");
  expect_invalid(edited(g, [](Graph& h) { h.tensor("c").quantization->scales = {0.5}; }),
                 "\"s\" and \"c\" must have the same element type");
  expect_invalid(edited(g, [](Graph& h) { h.tensor("b").type = ElementType::float32(); h.tensor("b").quantization.reset(); }),
                 "mixes float32 and integer tensors");
}

TEST(Validate, FloatGraphRules) {
  expect_invalid(edited(testing::float_net(),
                        [](Graph& g) { std::get<QuantAttrs>(find_node(g, "q0").attributes).spec.bits = 17; }),
                 "spec: QuantSpec: bits = 17");
  expect_invalid(edited(testing::float_net(),
                        [](Graph& g) { std::get<QuantAttrs>(find_node(g, "q0").attributes).rounding = quant::RoundingMode::Stochastic; }),
                 "stochastic rounding");
  expect_invalid(edited(testing::float_net(),
                        [](Graph& g) { std::get<Conv2dAttrs>(find_node(g, "conv").attributes).weight_quant->scales = {0.1, 0.2, 0.3}; }),
                 "weight_quant is per_channel with 3 scales on axis 0; weights need axis 0 with 2");
  expect_invalid(edited(testing::float_net(), [](Graph& g) { find_node(g, "add").attributes = AddAttrs{AddRequant{{1, 1}, 0, 0, 0}}; }),
                 "a float add cannot carry integer requantisation");
  expect_invalid(edited(testing::float_net(), [](Graph& g) { g.tensor("x").quantization = Quantization::per_tensor(1.0); }),
                 "a float32 tensor cannot carry a quantisation");
}

}  // namespace
}  // namespace bitlab::ir
