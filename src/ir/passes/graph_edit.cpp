#include "ir/passes/graph_edit.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace bitlab::ir::passes {

std::vector<std::size_t> readers(const Graph& graph, const std::string& tensor) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const auto& in = graph.nodes[i].inputs;
    if (std::find(in.begin(), in.end(), tensor) != in.end()) out.push_back(i);
  }
  return out;
}

std::optional<std::size_t> producer(const Graph& graph, const std::string& tensor) {
  for (std::size_t i = 0; i < graph.nodes.size(); ++i)
    if (graph.nodes[i].output() == tensor) return i;
  return std::nullopt;
}

const Node* producer_node(const Graph& graph, const std::string& tensor) {
  const auto i = producer(graph, tensor);
  return i ? &graph.nodes[*i] : nullptr;
}

bool is_graph_output(const Graph& graph, const std::string& tensor) {
  return std::find(graph.outputs.begin(), graph.outputs.end(), tensor) != graph.outputs.end();
}

bool has_single_reader(const Graph& graph, const std::string& tensor) {
  return readers(graph, tensor).size() == 1 && !is_graph_output(graph, tensor);
}

void replace_uses(Graph& graph, const std::string& from, const std::string& to) {
  for (Node& n : graph.nodes)
    for (std::string& in : n.inputs)
      if (in == from) in = to;
  for (std::string& out : graph.outputs)
    if (out == from) out = to;
}

bool bypass_node(Graph& graph, std::size_t index) {
  const std::string in = graph.nodes.at(index).inputs.at(0);
  const std::string out = graph.nodes[index].output();
  const bool keep_out_name = is_graph_output(graph, out);
  if (keep_out_name && (!producer(graph, in) || is_graph_output(graph, in))) return false;
  graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(index));
  if (keep_out_name) {
    const auto in_producer = producer(graph, in);
    // Keep the graph output's name: the input's producer writes `out` directly.
    // `out` then precedes every reader of `in`, so the order stays topological.
    graph.nodes[*in_producer].outputs[0] = out;
    for (Node& n : graph.nodes)
      for (std::string& name : n.inputs)
        if (name == in) name = out;
  } else {
    replace_uses(graph, out, in);
  }
  remove_unused_tensors(graph);
  return true;
}

void remove_unused_tensors(Graph& graph) {
  std::set<std::string> used(graph.inputs.begin(), graph.inputs.end());
  used.insert(graph.outputs.begin(), graph.outputs.end());
  for (const Node& n : graph.nodes) {
    used.insert(n.inputs.begin(), n.inputs.end());
    used.insert(n.outputs.begin(), n.outputs.end());
  }
  std::erase_if(graph.tensors, [&](const Tensor& t) { return !used.count(t.name); });
}

namespace {

template <class Taken>
std::string first_free(const std::string& base, Taken taken) {
  if (!taken(base)) return base;
  for (int k = 2;; ++k) {
    std::string name = fmt::format("{}_{}", base, k);
    if (!taken(name)) return name;
  }
}

}  // namespace

std::string unique_tensor_name(const Graph& graph, const std::string& base) {
  return first_free(base, [&](const std::string& n) { return graph.find(n) != nullptr; });
}

std::string unique_node_name(const Graph& graph, const std::string& base) {
  return first_free(base, [&](const std::string& n) {
    return std::any_of(graph.nodes.begin(), graph.nodes.end(), [&](const Node& node) { return node.name == n; });
  });
}

std::optional<quant::QuantSpec>* weight_spec(Node& layer) {
  if (layer.op == OpKind::Conv2d) return &std::get<Conv2dAttrs>(layer.attributes).weight_quant;
  if (layer.op == OpKind::Linear) return &std::get<LinearAttrs>(layer.attributes).weight_quant;
  return nullptr;
}

}  // namespace bitlab::ir::passes
