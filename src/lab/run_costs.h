#pragma once
// What a trained lab run costs on hardware: its network traced into the IR and
// run through the cost models of src/hw (docs/cost-models.md) with their
// default descriptions, as the metrics the results store keeps, so a report
// can trade accuracy against bits or latency (docs/lab.md, "Pareto fronts").
#include <filesystem>
#include <map>
#include <string>

#include "hw/layer_view.h"
#include "lab/train_config.h"

namespace bitlab::lab {

// The cost metrics of a layer view: total_bits (AutoQKeras), weight_memory_bytes,
// bops, energy_pj (Horowitz 45 nm), accelerator_latency (Sum-Together
// accelerator, default memories, in standard-accelerator tiles) and
// simd_latency_seconds (8-core sub-byte SIMD cluster, XpulpNN). A model that
// cannot run a layer's widths (the accelerator above 16 bits, the SIMD cluster
// above 8) leaves its metric out rather than failing the run.
std::map<std::string, double> cost_metrics(const hw::LayerView& view);

// The cost metrics of the network `checkpoint` holds (trained with `config`).
// Empty for float networks and for quantisers the tracer cannot express as an
// integer graph (log2, binary, ternary, codebook): those runs record no costs.
std::map<std::string, double> run_cost_metrics(const TrainJobConfig& config, const std::filesystem::path& checkpoint);

}  // namespace bitlab::lab
