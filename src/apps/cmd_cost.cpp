// `bitlab cost NET --policy P.json --hw HW.json [--json FILE]`: every cost
// model of src/hw over a network, per layer and in total (docs/cost-models.md §12).
// NET is an IR graph file (NET.tq.json, fake-quantised or integer) or a zoo
// network name, traced at the policy's widths.
#include <memory>

#include <fmt/format.h>

#include "apps/commands.h"
#include "apps/zoo_trace.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "hw/hardware_description.h"
#include "hw/policy_adapter.h"
#include "ir/serialize.h"
#include "train/policy.h"
#include "zoo/network_names.h"

namespace bitlab::apps {
namespace {

struct CostCliOptions {
  std::string net;
  std::string policy;  // a file, or a shorthand "w4a4"
  std::filesystem::path hardware;
  std::filesystem::path json;
};

int run_cost(const CostCliOptions& o) {
  const hw::HardwareDescription hardware = o.hardware.empty() ? hw::default_hardware() : hw::load_hardware(o.hardware);
  std::optional<train::PrecisionPolicy> policy;
  if (!o.policy.empty()) policy = read_policy(o.policy);
  ir::Graph graph;
  if (const zoo::NetworkSpec* spec = zoo::find_network(o.net)) {
    graph = trace_zoo(*spec, policy ? *policy : train::flat_policy(8, 8));
  } else if (std::filesystem::exists(o.net)) {
    graph = ir::load_graph(o.net);
  } else {
    std::string names;
    for (const auto& n : zoo::kNetworks) names += fmt::format("{}{}", names.empty() ? "" : ", ", n.name);
    throw ConfigError(fmt::format("cost: \"{}\" is neither a graph file (NET.tq.json) nor a zoo network ({})", o.net, names));
  }
  const hw::PrecisionAssignment precision = policy ? hw::precision_from_policy(graph, *policy) : hw::precision_from_graph(graph);
  const hw::LayerView view = hw::extract_layers(graph, precision);
  std::vector<std::string> skipped;
  const hw::CostReport report = hw::cost_report_skipping(view, hardware.cost, skipped);
  std::optional<hw::MeasuredLatencyTable> measured;
  if (hardware.latency_table) measured = hw::load_latency_table(*hardware.latency_table);
  fmt::print("{}", hw::format_cost_table(report, view, measured ? &*measured : nullptr, skipped));
  if (!o.json.empty()) {
    nlohmann::json j = hw::to_json(report);
    j["policy"] = policy ? train::to_json(*policy) : nlohmann::json("as the graph is");
    j["not_modelled"] = skipped;
    if (measured) {
      j["totals"]["measured_seconds"] = measured->network_seconds(view);
      j["totals"]["measured_executor"] = measured->executor;
    }
    write_file_atomically(o.json, j.dump(2) + "\n");
    fmt::print("written to {}\n", o.json.string());
  }
  return 0;
}

}  // namespace

Action add_cost_command(CLI::App& app) {
  auto options = std::make_shared<CostCliOptions>();
  auto* cmd = app.add_subcommand("cost", "Hardware cost of a network: MACs, BOPs, bits, memory, energy, latency");
  cmd->add_option("net", options->net, "NET.tq.json (fake-quantised or integer graph) or a zoo network name")->required();
  cmd->add_option("--policy", options->policy,
                  "Precision policy JSON file or shorthand (\"w4a8\"); default: the widths the graph carries (zoo: w8a8)");
  cmd->add_option("--hw", options->hardware, "HW.json: accelerator, SIMD profile, energy table, latency table")
      ->check(CLI::ExistingFile);
  cmd->add_option("--json", options->json, "Also write the report as JSON");
  return [options] { return run_cost(*options); };
}

}  // namespace bitlab::apps
