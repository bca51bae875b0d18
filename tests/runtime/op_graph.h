#pragma once
// Builds small integer graphs op by op for the runtime tests; output shapes
// come from ir::infer_output_shape.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ir/graph.h"
#include "ir/shape_inference.h"
#include "runtime/reference.h"
#include "runtime/simulation.h"

namespace bitlab::runtime::testing {

class OpGraph {
 public:
  OpGraph& input(const std::string& name, ir::Shape shape, ir::ElementType type, ir::Quantization q) {
    graph.add_tensor(ir::int_tensor(name, std::move(shape), type, std::move(q)));
    graph.inputs.push_back(name);
    return *this;
  }
  OpGraph& constant(const std::string& name, ir::Shape shape, ir::ElementType type, ir::Quantization q,
                    std::vector<std::int64_t> values) {
    graph.add_tensor(ir::int_constant(name, std::move(shape), type, std::move(q), std::move(values)));
    return *this;
  }
  // Adds `name` as the output of a new node named after it.
  OpGraph& op(const std::string& name, ir::OpKind kind, std::vector<std::string> inputs, ir::ElementType type,
              ir::Quantization q, ir::Attributes attributes) {
    ir::Node n{name + "_op", kind, std::move(inputs), {name}, std::move(attributes)};
    graph.add_tensor(ir::int_tensor(name, ir::infer_output_shape(graph, n), type, std::move(q)));
    graph.add_node(std::move(n));
    return *this;
  }
  ir::Graph build(std::vector<std::string> outputs) {
    graph.outputs = std::move(outputs);
    return graph;
  }

  ir::Graph graph;
};

// Runs both executors and expects each to give `expected` for output `name`.
inline void expect_output(const ir::Graph& g, const IntTensorMap& inputs, const std::string& name,
                          const ir::Shape& shape, const std::vector<std::int64_t>& expected) {
  const IntTensorMap reference = run_reference(g, inputs);
  EXPECT_EQ(reference.at(name).shape, shape) << "reference";
  EXPECT_EQ(reference.at(name).values, expected) << "reference";
  const IntTensorMap simulated = to_int(run_simulation(g, to_sim(inputs)));
  EXPECT_EQ(simulated.at(name).shape, shape) << "float64 simulation";
  EXPECT_EQ(simulated.at(name).values, expected) << "float64 simulation";
}

inline ir::ElementType u8() { return ir::ElementType::integer(8, false); }
inline ir::ElementType i8() { return ir::ElementType::integer(8, true); }
inline ir::ElementType i32() { return ir::ElementType::integer(32, true); }
inline ir::Quantization pt(double scale, std::int32_t zero_point = 0) { return ir::Quantization::per_tensor(scale, zero_point); }

}  // namespace bitlab::runtime::testing
