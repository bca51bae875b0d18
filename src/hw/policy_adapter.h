#pragma once
// A training precision policy (train/policy.h) → the PrecisionAssignment the
// cost models read, for an IR graph the tracer produced (fake-quantised) or
// converted from it (integer). Torch-free: bitlab_hw_policy links the
// torch-free bitlab_policy, not bitlab_train (docs/cost-models.md §1).
#include <string>
#include <vector>

#include "hw/precision.h"
#include "ir/graph.h"
#include "train/policy.h"

namespace bitlab::hw {

// The module names a policy's rules match, as the graph's nodes carry them
// (train/trace/trace_model.h names every node after its module):
//  - weight layers: conv2d / linear nodes;
//  - activation points: quant (float graph) and requant (integer graph)
//    nodes, with a QAdd's ".input_quantizerN" suffix stripped, and add nodes;
//    the tracer's own "input_quantizer" and "*.output_quant" are not points.
struct PolicyLayerNames {
  std::vector<std::string> weight_layers;
  std::vector<std::string> activation_points;
};
PolicyLayerNames policy_layer_names(const ir::Graph& graph);

struct PolicyAdapterOptions {
  // A rule that names no layer of the graph is a ConfigError (as in training):
  // a policy written for another network never applies silently.
  bool require_all_rules_used = true;
};

// Starts from the widths the graph carries (precision_from_graph) and replaces
// them by the policy's: the input bits by its input quantiser; each conv /
// linear's weight bits by its weight rule; each activation point's bits, and
// the output bits of the compute layer whose value it quantises, by its
// activation rule. Widths the policy does not govern (the tracer's output
// quant, an unquantised float output) stay as the graph has them.
// Throws ConfigError for an unused rule (see options).
PrecisionAssignment precision_from_policy(const ir::Graph& graph, const train::PrecisionPolicy& policy,
                                          const PolicyAdapterOptions& options = {});

}  // namespace bitlab::hw
