#pragma once
// Profiles every layer of a network, alone, at every requested (weight bits,
// activation bits) pair on the host runtime and stores the times in a
// MeasuredLatencyTable (docs/cost-models.md §11). The executor is a parameter:
// the fast executor (runtime/executor.h) by default, the reference runtime for
// comparison, or anything else that can run an integer graph.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hw/latency_table.h"
#include "ir/graph.h"
#include "runtime/tensor.h"

namespace bitlab::hw {

// Prepares an executor for `graph` with these inputs and returns the call that
// runs it once (all preparation outside the timed call).
using LayerExecutorFactory = std::function<std::function<void()>(const ir::Graph& graph, const runtime::IntTensorMap& inputs)>;
LayerExecutorFactory fast_layer_executor();       // runtime::Executor, best ISA
LayerExecutorFactory reference_layer_executor();  // runtime::run_reference

struct LatencyProfileOptions {
  std::vector<int> weight_bits = {2, 4, 8};
  std::vector<int> activation_bits = {2, 4, 8};
  int repeats = 5;           // best of this many timed repeats
  double min_repeat_seconds = 2e-3;  // each repeat loops the layer at least this long
  std::int64_t batch = 1;
  LayerExecutorFactory executor = fast_layer_executor();
  std::string executor_name = "fast";
  std::string host = "";
  std::uint64_t seed = 1;  // random input and weight codes
  // (entries done, entries in all, "layer w8a8")
  std::function<void(int, int, const std::string&)> on_entry = nullptr;
};

// The integer graph that runs node `node_name` of `graph` (a float
// fake-quantised or integer graph with shapes set) alone: random codes of
// `activation_bits` (unsigned, zero point 0) in, random `weight_bits` weights
// (signed, narrow range) and int32 biases, its requant (conv / linear /
// avgpool) back to `activation_bits` codes out, for `batch` samples. Throws
// std::invalid_argument for a node that is not conv2d, linear, maxpool or avgpool.
ir::Graph single_layer_graph(const ir::Graph& graph, const std::string& node_name, int weight_bits, int activation_bits,
                             std::int64_t batch, std::uint64_t seed = 1);
// Random in-range input codes for a single-layer graph.
runtime::IntTensorMap single_layer_inputs(const ir::Graph& layer_graph, std::uint64_t seed = 1);

// Every profiled layer (is_profiled) of `graph` at every pair; weight bits are
// recorded as 0 for the pools (profiled once per activation width).
MeasuredLatencyTable profile_latency(const ir::Graph& graph, const LatencyProfileOptions& options = {});

}  // namespace bitlab::hw
