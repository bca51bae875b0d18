#pragma once
// Small structural edits of an IR graph that the conversion passes share:
// who reads and who writes a tensor, removing a pass-through node while
// keeping the names of graph outputs, fresh names, a layer's weight quantiser
// slot. Plain loops: graphs that get converted have tens of nodes.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "quant/spec.h"

namespace bitlab::ir::passes {

// Indices of the nodes that read `tensor` (once per node).
std::vector<std::size_t> readers(const Graph& graph, const std::string& tensor);
// Index of the node that writes `tensor`; nullopt for graph inputs and constants.
std::optional<std::size_t> producer(const Graph& graph, const std::string& tensor);
// The node writing `tensor`, or nullptr.
const Node* producer_node(const Graph& graph, const std::string& tensor);
bool is_graph_output(const Graph& graph, const std::string& tensor);
// Exactly one node reads `tensor` and it is not a graph output.
bool has_single_reader(const Graph& graph, const std::string& tensor);

// Every read of `from` (node inputs and graph outputs) becomes a read of `to`.
void replace_uses(Graph& graph, const std::string& from, const std::string& to);

// Removes node `index`, whose output must equal its first input value for
// value (an identity). Its readers then read that input. When the output is a
// graph output, the input's producer writes the output name instead, so graph
// outputs keep their names. Removes tensors left unused. Returns false and
// changes nothing when names cannot be kept (the output is a graph output and
// the input is a graph input or output itself).
bool bypass_node(Graph& graph, std::size_t index);

// Drops tensors that no node reads or writes and that are not graph inputs or outputs.
void remove_unused_tensors(Graph& graph);

// `base`, or `base_2`, `base_3`, ... : the first name no tensor (or node, when
// `for_node`) of the graph has.
std::string unique_tensor_name(const Graph& graph, const std::string& base);
std::string unique_node_name(const Graph& graph, const std::string& base);

// The weight quantiser slot of a conv2d or linear (empty when its weights are
// float); nullptr for any other op.
std::optional<quant::QuantSpec>* weight_spec(Node& layer);

}  // namespace bitlab::ir::passes
