#include "search/traced_costs.h"

#include <fmt/format.h>

#include "common/json_reader.h"
#include "hw/accelerator.h"
#include "hw/energy_table.h"
#include "hw/simd_profile.h"
#include "ir/shape_inference.h"
#include "lab/datasets.h"
#include "lab/network_factory.h"
#include "lab/ptq_job.h"
#include "train/editing/quantize_model.h"
#include "train/trace/trace_model.h"

namespace bitlab::search {

TracedCostOptions parse_cost_options(const nlohmann::json& section, const std::string& source) {
  JsonReader r(section, source, "/costs");
  TracedCostOptions o;
  if (r.boolean("energy", false)) o.hw.energy_table = hw::horowitz_45nm();
  if (r.boolean("accelerator", false)) o.hw.accelerator = hw::AcceleratorOptions{};
  if (r.boolean("simd", false)) o.hw.simd = hw::subbyte_simd_profile();
  const std::string measured = r.string("measured_latency", "");
  r.finish();
  if (!measured.empty()) o.measured = hw::load_latency_table(measured);
  return o;
}

ir::Graph trace_search_network(const QatEvaluatorOptions& evaluator, const SearchSpace& space) {
  lab::TrainJobConfig config = trial_job(evaluator, space, Genes(space.knobs.size(), 0), 1);
  config.train.device = "cpu";
  config.quantization.calibration.batches = 1;  // ranges only need to exist: the widths come from each candidate
  lab::DataConfig data = config.data;
  data.train_limit = 256;
  const auto images = lab::load_split(data, data::Split::kTrain).images;
  auto network = lab::build_network(config, lab::Weights::kFromFloatCheckpoint);
  lab::calibrate_network(*network, config, images, torch::Device(torch::kCPU));
  train::set_quantization_progress(*network, 1.0);
  network->eval();
  const train::TraceOptions trace = lab::trace_options(config);
  ir::Graph graph = train::trace_model(*network, trace);
  ir::infer_shapes(graph);
  return graph;
}

std::unique_ptr<HwCostModel> make_traced_cost_model(const QatEvaluatorOptions& evaluator, const SearchSpace& space,
                                                    TracedCostOptions options) {
  return std::make_unique<HwCostModel>(trace_search_network(evaluator, space), std::move(options.hw),
                                       std::move(options.measured));
}

}  // namespace bitlab::search
