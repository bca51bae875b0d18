#include "codegen/schedule.h"

#include <algorithm>

#include "codegen/c_types.h"
#include "runtime/memory_plan.h"  // the planner the runtime allocates its arena with

namespace bitlab::codegen {
namespace planner = bitlab::runtime;
namespace {

bool is_accumulating(ir::OpKind op) {
  return op == ir::OpKind::Conv2d || op == ir::OpKind::Linear || op == ir::OpKind::AvgPool;
}

bool is_graph_output(const ir::Graph& g, const std::string& name) {
  return std::find(g.outputs.begin(), g.outputs.end(), name) != g.outputs.end();
}

}  // namespace

std::string Schedule::root(const std::string& name) const {
  std::string r = name;
  for (auto it = alias_of.find(r); it != alias_of.end(); it = alias_of.find(r)) r = it->second;
  return r;
}

Schedule make_schedule(const ir::Graph& graph, std::int64_t alignment) {
  Schedule s;
  std::map<std::string, std::vector<std::size_t>> readers;  // tensor -> nodes reading it
  for (std::size_t i = 0; i < graph.nodes.size(); ++i)
    for (const std::string& in : graph.nodes[i].inputs) readers[in].push_back(i);

  std::vector<bool> absorbed(graph.nodes.size(), false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (absorbed[i]) continue;
    const ir::Node& node = graph.nodes[i];
    if (node.op == ir::OpKind::Flatten || node.op == ir::OpKind::Reshape) {
      s.alias_of[node.output()] = node.inputs.at(0);
      continue;
    }
    Layer layer{i, std::nullopt, node.output()};
    const auto& r = readers[node.output()];
    // Fusing needs the requant's channels (if several) on axis 1, the conv's output channels.
    if (is_accumulating(node.op) && r.size() == 1 && graph.nodes[r[0]].op == ir::OpKind::Requant &&
        !is_graph_output(graph, node.output()) &&
        (graph.nodes[r[0]].attrs<ir::RequantAttrs>().multipliers.size() == 1 ||
         graph.nodes[r[0]].attrs<ir::RequantAttrs>().axis == 1)) {
      layer.fused_requant = r[0];
      layer.output = graph.nodes[r[0]].output();
      absorbed[r[0]] = true;
    }
    s.layers.push_back(layer);
  }

  // One buffer per layer output; its lifetime runs from its layer to the last
  // layer reading it or any alias of it (graph outputs: to the final copy).
  std::map<std::string, int> written_at;
  for (std::size_t l = 0; l < s.layers.size(); ++l) written_at[s.layers[l].output] = static_cast<int>(l);
  std::map<std::string, int> last_read;
  for (std::size_t l = 0; l < s.layers.size(); ++l) {
    for (const std::string& in : graph.nodes[s.layers[l].node].inputs) {
      const std::string r = s.root(in);
      last_read[r] = std::max(last_read[r], static_cast<int>(l));
    }
  }
  for (const std::string& out : graph.outputs) last_read[s.root(out)] = static_cast<int>(s.layers.size());

  std::vector<planner::BufferRequest> requests;
  for (const Layer& layer : s.layers) {
    const ir::Tensor& t = graph.tensor(layer.output);
    const int first = written_at[layer.output];
    requests.push_back({layer.output, ir::num_elements(t.shape) * c_size(t.type), first,
                        std::max(first, last_read.count(layer.output) ? last_read[layer.output] : first)});
  }
  const planner::MemoryPlan plan = planner::plan_memory(requests, {.alignment = alignment});
  for (std::size_t i = 0; i < requests.size(); ++i) s.offset[requests[i].name] = plan.offsets[i];
  s.arena_bytes = plan.arena_bytes;
  s.peak_live_bytes = plan.peak_live_bytes;
  return s;
}

}  // namespace bitlab::codegen
