#include "hw/hardware_description.h"

#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"
#include "hw/energy_table.h"
#include "hw/simd_profile.h"

namespace bitlab::hw {
namespace {

AcceleratorOptions parse_accelerator(const JsonReader& r) {
  AcceleratorOptions a;
  std::vector<std::int64_t> bits = r.integers("supported_bits", {4, 8, 16}, 1, 16);
  a.supported_bits.assign(bits.begin(), bits.end());
  if (const nlohmann::json* configs = r.raw("configs")) {
    if (!configs->is_array() || configs->empty()) r.fail("configs", "a non-empty array of {high_bits, low_bits, relative_tile_latency}");
    a.configs.clear();
    for (std::size_t i = 0; i < configs->size(); ++i) {
      JsonReader c((*configs)[i], r.file(), r.pointer_of("configs") + "/" + std::to_string(i));
      ScalableConfig s;
      s.high_bits = static_cast<int>(c.required_integer("high_bits", 1, 16));
      s.low_bits = static_cast<int>(c.required_integer("low_bits", 1, 16));
      s.relative_tile_latency = c.number("relative_tile_latency", 1.0, 1e-6, 1e6);
      c.finish();
      a.configs.push_back(s);
    }
  }
  r.finish();
  return a;
}

}  // namespace

HardwareDescription default_hardware() {
  HardwareDescription h;
  h.cost.energy_table = horowitz_45nm();
  h.cost.accelerator = AcceleratorOptions{};
  h.cost.simd = subbyte_simd_profile(8);
  return h;
}

HardwareDescription parse_hardware(const nlohmann::json& json, const std::string& source,
                                   const std::filesystem::path& base_dir) {
  HardwareDescription h = default_hardware();
  JsonReader r(json, source);
  if (const nlohmann::json* a = r.raw("accelerator")) {
    if (a->is_boolean()) {
      if (!a->get<bool>()) h.cost.accelerator.reset();
    } else if (a->is_object()) {
      h.cost.accelerator = parse_accelerator(JsonReader(*a, source, r.pointer_of("accelerator")));
    } else {
      r.fail("accelerator", "true, false or an object {supported_bits, configs}");
    }
  }
  if (const nlohmann::json* s = r.raw("simd")) {
    if (s->is_boolean() && !s->get<bool>()) {
      h.cost.simd.reset();
    } else if (s->is_string()) {
      const std::string name = s->get<std::string>();
      if (name == "subbyte") h.cost.simd = subbyte_simd_profile(8);
      else if (name == "int8") h.cost.simd = int8_simd_profile(8);
      else r.fail("simd", "\"subbyte\", \"int8\", false or a profile object");
    } else if (s->is_object()) {
      h.cost.simd = parse_simd_profile(*s, source + " " + r.pointer_of("simd"));
    } else {
      r.fail("simd", "\"subbyte\", \"int8\", false or a profile object");
    }
  }
  if (r.has("simd_cores")) {
    if (!h.cost.simd) r.fail("simd_cores", "a SIMD profile (simd is false)");
    h.cost.simd->cores = static_cast<int>(r.integer("simd_cores", 8, 1, 1024));
  }
  if (const nlohmann::json* e = r.raw("energy_table")) {
    if (e->is_boolean() && !e->get<bool>()) h.cost.energy_table.reset();
    else if (e->is_string() && e->get<std::string>() == "horowitz_45nm") h.cost.energy_table = horowitz_45nm();
    else if (e->is_object()) h.cost.energy_table = parse_energy_table(*e, source + " " + r.pointer_of("energy_table"));
    else r.fail("energy_table", "\"horowitz_45nm\", false or a table object");
  }
  if (const auto e = r.optional_object("energy")) {
    h.cost.energy.weights_in_dram = e->boolean("weights_in_dram", false);
    h.cost.energy.activations_in_dram = e->boolean("activations_in_dram", false);
    e->finish();
  }
  if (r.has("latency_table")) {
    std::filesystem::path p = r.string("latency_table", "");
    if (p.is_relative() && !base_dir.empty()) p = base_dir / p;
    h.latency_table = p;
  }
  r.finish();
  return h;
}

HardwareDescription load_hardware(const std::filesystem::path& path) {
  return parse_hardware(JsonReader::parse_file(path), path.string(), path.parent_path());
}

CostReport cost_report_skipping(const LayerView& view, const CostOptions& options, std::vector<std::string>& skipped) {
  CostOptions o = options;
  // Each optional model alone first, so one that cannot run these widths names itself.
  auto probe = [&](const char* name, auto&& run, auto& slot) {
    if (!slot) return;
    try {
      run();
    } catch (const std::invalid_argument& e) {
      skipped.push_back(fmt::format("{}: {}", name, e.what()));
      slot.reset();
    }
  };
  probe("accelerator", [&] { (void)accelerator_latency(view, *o.accelerator); }, o.accelerator);
  probe("simd", [&] { (void)simd_latency(view, *o.simd, o.simd_options); }, o.simd);
  probe("energy", [&] { (void)energy(view, *o.energy_table, o.energy); }, o.energy_table);
  return cost_report(view, o);
}

std::string format_cost_table(const CostReport& r, const LayerView& view, const MeasuredLatencyTable* measured,
                              const std::vector<std::string>& skipped) {
  std::string out = fmt::format("{}\n", r.graph);
  out += fmt::format("{:<28} {:<16} {:>3} {:>3} {:>3} {:>12} {:>14} {:>11} {:>9}", "layer", "kind", "w", "in", "out",
                     "MACs", "BOPs", "param bits", "weight B");
  if (r.energy) out += fmt::format(" {:>11}", "energy pJ");
  if (r.accelerator) out += fmt::format(" {:>9} {:>6}", "acc tiles", "config");
  if (r.simd) out += fmt::format(" {:>12}", "SIMD cycles");
  if (measured) out += fmt::format(" {:>10}", "host us");
  out += "\n";
  double measured_total = 0.0;
  for (std::size_t i = 0; i < r.layers.size(); ++i) {
    const LayerCost& l = r.layers[i];
    out += fmt::format("{:<28} {:<16} {:>3} {:>3} {:>3} {:>12} {:>14} {:>11} {:>9}", l.name, to_string(l.kind),
                       l.weight_bits == 0 ? std::string("-") : std::to_string(l.weight_bits), l.input_bits, l.output_bits,
                       l.macs, l.bops, l.bits.parameter_bits, l.weight_memory.total());
    if (r.energy) out += fmt::format(" {:>11.1f}", r.energy->layers[i].total_pj());
    if (r.accelerator) {
      const AcceleratorLayerCost& a = r.accelerator->layers[i];
      out += a.on_accelerator ? fmt::format(" {:>9.2f} {:>6}", a.latency, fmt::format("{}x{}", a.config.high_bits, a.config.low_bits))
                              : fmt::format(" {:>9} {:>6}", "-", "-");
    }
    if (r.simd) out += fmt::format(" {:>12.0f}", r.simd->layers[i].cycles);
    if (measured) {
      const Layer& layer = view.layers[i];
      if (is_profiled(layer.kind)) {
        const double s = measured->seconds(layer.name, layer.weight_bits, layer.input_bits);
        measured_total += s;
        out += fmt::format(" {:>10.2f}", s * 1e6);
      } else {
        out += fmt::format(" {:>10}", "-");
      }
    }
    out += "\n";
  }
  out += fmt::format("\ntotals: {} MACs, {} BOPs, {} bits (params {}, activations {}, input {})\n", r.macs, r.bops,
                     r.bits.total(), r.bits.parameter_bits, r.bits.activation_bits, r.bits.input_bits);
  out += fmt::format("memory: weights {} B (+ biases {} B), activation arena {} B (peak live {} B, {} B without reuse)\n",
                     r.weight_memory.weight_bytes, r.weight_memory.bias_bytes, r.activation_memory.plan.arena_bytes,
                     r.activation_memory.plan.peak_live_bytes, r.activation_memory.total_bytes);
  out += fmt::format("training memory (QAT, float32 latent weights): {} B\n", r.training_memory.total());
  if (r.energy) out += fmt::format("energy: {:.1f} pJ per inference\n", r.energy->total_pj());
  if (r.accelerator) {
    out += fmt::format("accelerator: latency {:.2f} tiles (standard 16-bit accelerator {:.2f}), speedup {:.2f}x\n",
                       r.accelerator->latency, r.accelerator->standard_latency, r.accelerator->speedup());
  }
  if (r.simd) {
    const SimdPlacement& p = r.simd->placement;
    out += fmt::format("SIMD cluster ({}): {:.0f} cycles = {:.3f} ms; activations {} B {} L2, weights {} B {} L2\n",
                       r.simd->profile, r.simd->cycles, r.simd->seconds * 1e3, p.activation_bytes,
                       p.activations_in_l2 ? "fit in" : "do not fit in", p.weight_bytes, p.weights_in_l2 ? "fit in" : "do not fit in");
  }
  if (measured) out += fmt::format("measured on the host ({}): {:.2f} us per sample\n", measured->executor, measured_total * 1e6);
  for (const std::string& s : skipped) out += fmt::format("not modelled: {}\n", s);
  return out;
}

}  // namespace bitlab::hw
