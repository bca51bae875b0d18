#pragma once
// A graph: tensors, nodes in topological order, and the named graph inputs and
// outputs. Plain data; validate.h states and checks its rules.
#include <string>
#include <string_view>
#include <vector>

#include "ir/ops.h"
#include "ir/tensor.h"

namespace bitlab::ir {

struct Graph {
  std::string name = "net";
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;  // topological order: a node only reads tensors produced before it
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;

  // nullptr when there is no tensor of that name.
  [[nodiscard]] const Tensor* find(std::string_view tensor_name) const;
  [[nodiscard]] Tensor* find(std::string_view tensor_name);
  // Throws GraphError naming the graph and the missing tensor.
  [[nodiscard]] const Tensor& tensor(std::string_view tensor_name) const;
  [[nodiscard]] Tensor& tensor(std::string_view tensor_name);

  Tensor& add_tensor(Tensor tensor);
  Node& add_node(Node node);

  bool operator==(const Graph&) const = default;
};

// Every tensor is an integer and no float-only op is present: the graph the
// reference runtime executes.
bool is_integer_only(const Graph& graph);

}  // namespace bitlab::ir
