#pragma once
// Which IR tensors share one activation buffer. Element-wise ops that a
// deployed network fuses into the producing kernel or runs in place (ReLU,
// batch norm, quantisation, requantisation, clipping) and views (flatten,
// reshape) do not allocate: their output is an alias of their input. Every
// other node output, and every graph input, is a new value with its own buffer.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace bitlab::hw {

// True for the ops whose output aliases their (first) input.
bool is_alias_op(ir::OpKind op);

struct ValueAliases {
  // Tensor name -> index into `tensors` / `first_step`; constants are absent.
  std::map<std::string, std::size_t, std::less<>> value_of;
  // Per value: its tensors in definition order; the first is the root (a graph
  // input or a non-alias node output), the last is the form consumers see last.
  std::vector<std::vector<std::string>> tensors;
  // Step (node index) that defines the value; 0 for graph inputs.
  std::vector<int> first_step;
  // Last step that reads any of its tensors; the last step of the graph for
  // graph outputs; first_step when nothing reads it.
  std::vector<int> last_step;
};

// Throws std::invalid_argument for a node reading a tensor defined nowhere.
ValueAliases find_values(const ir::Graph& graph);

}  // namespace bitlab::hw
