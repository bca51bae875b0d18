#include "hw/policy_adapter.h"

#include <algorithm>
#include <map>
#include <optional>
#include <regex>

#include "hw/activation_values.h"

namespace bitlab::hw {
namespace {

constexpr const char* kInputQuantizer = "input_quantizer";  // trace_model.cpp
constexpr const char* kOutputQuantSuffix = ".output_quant";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The policy name of the activation point a node implements, if any.
std::optional<std::string> activation_point(const ir::Node& node) {
  if (node.op == ir::OpKind::Add) return node.name;
  if (node.op != ir::OpKind::Quant && node.op != ir::OpKind::Requant) return std::nullopt;
  if (node.name == kInputQuantizer || ends_with(node.name, kOutputQuantSuffix)) return std::nullopt;
  // A QAdd quantises each branch with "<add>.input_quantizer<i>"; its rule names "<add>".
  static const std::regex branch(R"((.*)\.input_quantizer\d+)");
  std::smatch m;
  if (std::regex_match(node.name, m, branch)) return m[1].str();
  return node.name;
}

void push_unique(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

}  // namespace

PolicyLayerNames policy_layer_names(const ir::Graph& graph) {
  PolicyLayerNames names;
  for (const ir::Node& node : graph.nodes) {
    if (node.op == ir::OpKind::Conv2d || node.op == ir::OpKind::Linear) push_unique(names.weight_layers, node.name);
    if (const auto point = activation_point(node)) push_unique(names.activation_points, *point);
  }
  return names;
}

PrecisionAssignment precision_from_policy(const ir::Graph& graph, const train::PrecisionPolicy& policy,
                                          const PolicyAdapterOptions& options) {
  PrecisionAssignment p = precision_from_graph(graph);
  std::vector<bool> used(policy.layers.size(), false);
  p.input_bits = train::resolve_input_quantizer(policy).bits;

  std::map<std::string, const ir::Node*, std::less<>> producer;  // tensor -> node
  for (const ir::Node& node : graph.nodes) producer[node.output()] = &node;

  for (const ir::Node& node : graph.nodes) {
    if (node.op == ir::OpKind::Conv2d || node.op == ir::OpKind::Linear) {
      p.layers[node.name].weight_bits = train::resolve_quantizer(policy, node.name, train::TensorRole::kWeight, &used).bits;
    }
    if (node.name == kInputQuantizer && node.op == ir::OpKind::Quant) {
      p.layers[node.name].activation_bits = p.input_bits;
    } else if (const auto point = activation_point(node)) {
      p.layers[node.name].activation_bits =
          train::resolve_quantizer(policy, *point, train::TensorRole::kActivation, &used).bits;
    }
  }
  // A compute layer writes its value at the width of the last activation point
  // on it (conv → requant "features.relu0": the requantised codes).
  const ValueAliases values = find_values(graph);
  for (const std::vector<std::string>& tensors : values.tensors) {
    const auto root = producer.find(tensors.front());
    if (root == producer.end() || !p.names(root->second->name)) continue;  // graph input or not a compute layer
    for (auto it = tensors.rbegin(); it != tensors.rend(); ++it) {
      const ir::Node* node = producer.at(*it);
      if (node != root->second && p.names(node->name) && activation_point(*node)) {
        p.layers[root->second->name].activation_bits = p.layers.at(node->name).activation_bits;
        break;
      }
    }
  }

  if (options.require_all_rules_used) {
    const PolicyLayerNames names = policy_layer_names(graph);
    std::vector<std::string> all = names.weight_layers;
    all.insert(all.end(), names.activation_points.begin(), names.activation_points.end());
    train::check_all_rules_used(policy, used, all);
  }
  p.validate();
  return p;
}

}  // namespace bitlab::hw
