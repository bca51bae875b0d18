#include "lab/run_costs.h"

#include <stdexcept>

#include "common/error.h"
#include "hw/accelerator.h"
#include "hw/bit_counts.h"
#include "hw/energy.h"
#include "hw/energy_table.h"
#include "hw/memory.h"
#include "hw/simd_latency.h"
#include "hw/simd_profile.h"
#include "lab/network_factory.h"
#include "train/checkpoint.h"
#include "train/classifier.h"
#include "train/editing/quantize_model.h"
#include "train/trace/trace_model.h"

namespace bitlab::lab {
namespace {

// A hardware model that cannot run the network's widths throws std::invalid_argument;
// the run keeps the costs of the other models.
template <typename F>
void record(std::map<std::string, double>& metrics, const std::string& name, F&& compute) {
  try {
    metrics[name] = compute();
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace

std::map<std::string, double> cost_metrics(const hw::LayerView& view) {
  std::map<std::string, double> m;
  m["total_bits"] = static_cast<double>(hw::total_bits(view).total());
  m["weight_memory_bytes"] = static_cast<double>(hw::weight_memory(view).total());
  std::int64_t bops = 0;
  for (const auto& layer : view.layers) bops += hw::bops(layer);
  m["bops"] = static_cast<double>(bops);
  record(m, "energy_pj", [&] { return hw::energy(view, hw::horowitz_45nm()).total_pj(); });
  record(m, "accelerator_latency", [&] { return hw::accelerator_latency(view).latency; });
  record(m, "simd_latency_seconds", [&] { return hw::simd_latency(view, hw::subbyte_simd_profile()).seconds; });
  return m;
}

std::map<std::string, double> run_cost_metrics(const TrainJobConfig& config, const std::filesystem::path& checkpoint) {
  if (!config.quantization.enabled) return {};
  TrainJobConfig cpu = config;
  cpu.train.device = "cpu";  // tracing reads weights into the graph; a GPU run's network is rebuilt on the CPU
  auto network = build_network(cpu, Weights::kFresh);
  train::load_checkpoint(checkpoint, *network, nullptr);
  // A finished run: annealed quantisers round hard, as the integer graph will.
  train::set_quantization_progress(*network, 1.0);
  network->eval();
  const train::TraceOptions trace = trace_options(config);
  ir::Graph graph;
  try {
    graph = train::trace_model(*network, trace);
  } catch (const ConfigError&) {
    return {};  // a quantiser without an integer form: no hardware cost to model
  }
  return cost_metrics(hw::extract_layers(graph));
}

}  // namespace bitlab::lab
