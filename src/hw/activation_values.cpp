#include "hw/activation_values.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace bitlab::hw {

bool is_alias_op(ir::OpKind op) {
  switch (op) {
    case ir::OpKind::Quant:
    case ir::OpKind::BatchNorm:
    case ir::OpKind::Relu:
    case ir::OpKind::Requant:
    case ir::OpKind::Clip:
    case ir::OpKind::Flatten:
    case ir::OpKind::Reshape: return true;
    default: return false;
  }
}

ValueAliases find_values(const ir::Graph& graph) {
  ValueAliases v;
  auto new_value = [&](const std::string& tensor, int step) {
    v.value_of.emplace(tensor, v.tensors.size());
    v.tensors.push_back({tensor});
    v.first_step.push_back(step);
    v.last_step.push_back(step);
  };
  for (const std::string& input : graph.inputs) new_value(input, 0);

  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    const int step = static_cast<int>(i);
    for (const std::string& input : node.inputs) {
      const ir::Tensor& t = graph.tensor(input);
      if (t.is_constant()) continue;
      const auto it = v.value_of.find(input);
      if (it == v.value_of.end()) {
        throw std::invalid_argument(fmt::format("graph \"{}\": node \"{}\" reads \"{}\", which no earlier node "
                                                "or graph input defines",
                                                graph.name, node.name, input));
      }
      v.last_step[it->second] = std::max(v.last_step[it->second], step);
    }
    const bool aliases = is_alias_op(node.op) && !node.inputs.empty() && v.value_of.count(node.inputs.front()) > 0;
    if (aliases) {
      const std::size_t value = v.value_of.at(node.inputs.front());
      v.value_of.emplace(node.output(), value);
      v.tensors[value].push_back(node.output());
    } else {
      new_value(node.output(), step);
    }
  }
  const int end = graph.nodes.empty() ? 0 : static_cast<int>(graph.nodes.size()) - 1;
  for (const std::string& output : graph.outputs) {
    const auto it = v.value_of.find(output);
    if (it != v.value_of.end()) v.last_step[it->second] = end;
  }
  return v;
}

}  // namespace bitlab::hw
