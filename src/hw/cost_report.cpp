#include "hw/cost_report.h"

namespace bitlab::hw {
namespace {

nlohmann::json tiles_json(const TileCount& t) {
  return {{"groups", t.groups}, {"rows", t.rows}, {"cols", t.cols}, {"out_channels", t.out_channels},
          {"in_channels", t.in_channels}, {"kernel_pieces", t.kernel_pieces}, {"total", t.total()}};
}

nlohmann::json layer_json(const CostReport& report, std::size_t i) {
  const LayerCost& l = report.layers[i];
  nlohmann::json j = {{"name", l.name},
                      {"kind", std::string(to_string(l.kind))},
                      {"weight_bits", l.weight_bits},
                      {"input_bits", l.input_bits},
                      {"output_bits", l.output_bits},
                      {"macs", l.macs},
                      {"bops", l.bops},
                      {"parameter_bits", l.bits.parameter_bits},
                      {"activation_bits", l.bits.activation_bits},
                      {"weight_bytes", l.weight_memory.weight_bytes},
                      {"bias_bytes", l.weight_memory.bias_bytes}};
  if (report.energy) {
    const LayerEnergy& e = report.energy->layers[i];
    j["energy_pj"] = {{"compute", e.compute_pj}, {"weight_memory", e.weight_memory_pj},
                      {"activation_memory", e.activation_memory_pj}, {"total", e.total_pj()}};
  }
  if (report.accelerator) {
    const AcceleratorLayerCost& a = report.accelerator->layers[i];
    j["accelerator"] = {{"on_accelerator", a.on_accelerator},
                        {"config", {a.config.high_bits, a.config.low_bits}},
                        {"relative_tile_latency", a.config.relative_tile_latency},
                        {"tiles", tiles_json(a.tiles)},
                        {"latency", a.latency},
                        {"standard_latency", a.standard_latency}};
  }
  if (report.simd) {
    const SimdLayerCost& s = report.simd->layers[i];
    j["simd"] = {{"compute_bits", s.compute_bits},   {"unpacked_elements", s.unpacked_elements},
                 {"mac_cycles", s.mac_cycles},       {"unpack_cycles", s.unpack_cycles},
                 {"scalar_cycles", s.scalar_cycles}, {"l2_to_l1_cycles", s.l2_to_l1_cycles},
                 {"l3_to_l2_cycles", s.l3_to_l2_cycles}, {"fits_l1", s.fits_l1},
                 {"cycles", s.cycles}};
  }
  return j;
}

}  // namespace

CostReport cost_report(const LayerView& view, const CostOptions& options) {
  CostReport r;
  r.graph = view.graph_name;
  for (const Layer& layer : view.layers) {
    LayerCost c;
    c.name = layer.name;
    c.kind = layer.kind;
    c.weight_bits = layer.weight_bits;
    c.input_bits = layer.input_bits;
    c.output_bits = layer.output_bits;
    c.macs = layer.macs;
    c.bops = bops(layer);
    c.bits = layer_bits(layer, options.bits);
    c.weight_memory = layer_weight_memory(layer, options.memory);
    r.macs += c.macs;
    r.bops += c.bops;
    r.layers.push_back(std::move(c));
  }
  r.bits = total_bits(view, options.bits);
  r.weight_memory = weight_memory(view, options.memory);
  r.activation_memory = activation_memory(view, options.memory);
  r.training_memory = training_memory(view, options.training);
  if (options.energy_table) r.energy = energy(view, *options.energy_table, options.energy);
  if (options.accelerator) r.accelerator = accelerator_latency(view, *options.accelerator);
  if (options.simd) r.simd = simd_latency(view, *options.simd, options.simd_options);
  return r;
}

nlohmann::json to_json(const CostReport& report) {
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t i = 0; i < report.layers.size(); ++i) layers.push_back(layer_json(report, i));
  const TrainingMemory& t = report.training_memory;
  nlohmann::json totals = {
      {"macs", report.macs},
      {"bops", report.bops},
      {"bits", {{"input", report.bits.input_bits}, {"parameters", report.bits.parameter_bits},
                {"activations", report.bits.activation_bits}, {"total", report.bits.total()}}},
      {"weight_memory_bytes", {{"weights", report.weight_memory.weight_bytes}, {"biases", report.weight_memory.bias_bytes},
                               {"total", report.weight_memory.total()}}},
      {"activation_memory_bytes", {{"arena", report.activation_memory.plan.arena_bytes},
                                   {"peak_live", report.activation_memory.plan.peak_live_bytes},
                                   {"without_reuse", report.activation_memory.total_bytes}}},
      {"training_memory_bytes", {{"parameters", t.parameters}, {"latent_weights", t.latent_weight_bytes},
                                 {"gradients", t.gradient_bytes}, {"optimizer_state", t.optimizer_state_bytes},
                                 {"activations", t.activation_bytes}, {"total", t.total()}}},
  };
  if (report.energy) {
    totals["energy_pj"] = {{"compute", report.energy->compute_pj}, {"weight_memory", report.energy->weight_memory_pj},
                           {"activation_memory", report.energy->activation_memory_pj}, {"total", report.energy->total_pj()}};
  }
  if (report.accelerator) {
    totals["accelerator"] = {{"latency", report.accelerator->latency},
                             {"standard_latency", report.accelerator->standard_latency},
                             {"speedup", report.accelerator->speedup()}};
  }
  if (report.simd) {
    const SimdPlacement& p = report.simd->placement;
    totals["simd"] = {{"profile", report.simd->profile},
                      {"cycles", report.simd->cycles},
                      {"seconds", report.simd->seconds},
                      {"placement", {{"weight_bytes", p.weight_bytes}, {"activation_bytes", p.activation_bytes},
                                     {"weights_in_l2", p.weights_in_l2}, {"activations_in_l2", p.activations_in_l2}}}};
  }
  return {{"graph", report.graph}, {"layers", layers}, {"totals", totals}};
}

}  // namespace bitlab::hw
