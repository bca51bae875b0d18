#include "apps/zoo_trace.h"

#include <filesystem>
#include <vector>

#include <torch/torch.h>

#include "train/editing/quantize_model.h"
#include "train/trace/trace_model.h"
#include "zoo/networks.h"

namespace bitlab::apps {

train::PrecisionPolicy read_policy(const std::string& text) {
  if (std::filesystem::exists(text)) return train::load_policy(text);
  return train::parse_policy(nlohmann::json(text), "--policy");
}

ir::Graph trace_zoo(const zoo::NetworkSpec& spec, const train::PrecisionPolicy& policy, std::uint64_t seed) {
  torch::manual_seed(seed);
  zoo::SequentialNet net = zoo::build_zoo_network(spec.name);
  train::quantize_model(*net, policy);
  // Batch 2: training-mode batch statistics need more than one sample.
  const std::vector<std::int64_t> shape = zoo::input_shape(spec, 2);
  net->train();
  {
    torch::NoGradGuard no_grad;
    (void)net->forward(torch::randn(shape));
  }
  net->eval();
  train::TraceOptions trace;
  trace.input_shape = zoo::input_shape(spec, 1);
  trace.graph_name = std::string(spec.name);
  return train::trace_model(*net, trace);
}

}  // namespace bitlab::apps
