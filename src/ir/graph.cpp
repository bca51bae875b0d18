#include "ir/graph.h"

#include <algorithm>

#include <fmt/format.h>

#include "ir/error.h"

namespace bitlab::ir {

const Tensor* Graph::find(std::string_view tensor_name) const {
  auto it = std::find_if(tensors.begin(), tensors.end(), [&](const Tensor& t) { return t.name == tensor_name; });
  return it == tensors.end() ? nullptr : &*it;
}

Tensor* Graph::find(std::string_view tensor_name) {
  return const_cast<Tensor*>(static_cast<const Graph&>(*this).find(tensor_name));
}

const Tensor& Graph::tensor(std::string_view tensor_name) const {
  if (const Tensor* t = find(tensor_name)) return *t;
  throw GraphError(fmt::format("graph \"{}\": no tensor named \"{}\"", name, tensor_name));
}

Tensor& Graph::tensor(std::string_view tensor_name) {
  return const_cast<Tensor&>(static_cast<const Graph&>(*this).tensor(tensor_name));
}

Tensor& Graph::add_tensor(Tensor tensor) {
  tensors.push_back(std::move(tensor));
  return tensors.back();
}

Node& Graph::add_node(Node node) {
  nodes.push_back(std::move(node));
  return nodes.back();
}

bool is_integer_only(const Graph& graph) {
  for (const Tensor& t : graph.tensors)
    if (t.type.is_float()) return false;
  for (const Node& n : graph.nodes)
    if (is_float_only(n.op)) return false;
  return true;
}

}  // namespace bitlab::ir
