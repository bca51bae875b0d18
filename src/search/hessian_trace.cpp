#include "search/hessian_trace.h"

#include <fmt/format.h>

#include "common/error.h"
#include "lab/datasets.h"
#include "lab/network_factory.h"
#include "search/core/ilp_allocation.h"
#include "train/checkpoint.h"

namespace bitlab::search {

std::vector<double> hutchinson_traces(const torch::Tensor& loss, const std::vector<torch::Tensor>& params,
                                      const HutchinsonOptions& options) {
  const auto grads = torch::autograd::grad({loss}, params, /*grad_outputs=*/{}, /*retain_graph=*/true,
                                           /*create_graph=*/true);
  torch::manual_seed(options.seed);
  std::vector<double> traces(params.size(), 0.0);
  for (int s = 0; s < options.samples; ++s) {
    std::vector<torch::Tensor> probes;
    torch::Tensor gv = torch::zeros({}, loss.options());
    for (std::size_t i = 0; i < params.size(); ++i) {
      probes.push_back(torch::randint(0, 2, params[i].sizes(), params[i].options().requires_grad(false)) * 2 - 1);
      gv = gv + (grads[i] * probes[i]).sum();
    }
    const auto hv = torch::autograd::grad({gv}, params, {}, /*retain_graph=*/true);
    for (std::size_t i = 0; i < params.size(); ++i) traces[i] += (hv[i] * probes[i]).sum().item<double>();
  }
  for (auto& t : traces) t /= options.samples;
  return traces;
}

nlohmann::json hessian_sensitivity(const QatEvaluatorOptions& evaluator, const SearchSpace& space, int images,
                                   const HutchinsonOptions& options, const std::string& source) {
  for (const auto& layer : space.layers) {
    if (layer.activation_bits.size() > 1)
      throw ConfigError(fmt::format("{}: /strategy/sensitivity: \"hessian\" ranks weight widths only, but {} has "
                                    "activation choices; pin its activations (\"activations\": 8) or give a table",
                                    source, layer.name));
  }
  lab::TrainJobConfig config = trial_job(evaluator, space, Genes(space.knobs.size(), 0), 1);
  config.train.device = "cpu";
  auto network = lab::build_network(config.model);
  train::load_checkpoint(evaluator.from, *network, nullptr);
  network->eval();  // BatchNorm's running statistics, no dropout: the network the policy quantises
  lab::DataConfig data = config.data;
  data.train_limit = images;
  const auto batch = lab::load_split(data, data::Split::kTrain);

  std::vector<torch::Tensor> params;
  for (const auto& layer : space.layers) {
    const auto* p = network->named_parameters().find(layer.name + ".weight");
    if (p == nullptr)
      throw ConfigError(fmt::format("{}: /space/layers: the network has no weight layer {}", source, layer.name));
    params.push_back(*p);
  }
  const auto loss = torch::nn::functional::cross_entropy(network->forward(batch.images), batch.labels);
  const auto traces = hutchinson_traces(loss, params, options);

  nlohmann::json table = nlohmann::json::object();
  for (std::size_t l = 0; l < space.layers.size(); ++l) {
    const auto& layer = space.layers[l];
    const auto w = params[l].detach().contiguous().to(torch::kFloat32);
    const std::vector<float> weights(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    const double mean_trace = traces[l] / static_cast<double>(w.numel());
    const std::string activations =
        layer.activation_bits.empty() ? "" : fmt::format("a{}", layer.activation_bits.front());
    nlohmann::json row = nlohmann::json::object();
    const std::vector<int> widths = layer.weight_bits.empty() ? std::vector<int>{} : layer.weight_bits;
    for (int bits : widths) row[fmt::format("w{}", bits) + activations] = hawq_sensitivity(mean_trace, weights, bits);
    if (widths.empty()) row[activations.empty() ? "fixed" : activations] = 0.0;
    table[layer.name] = row;
  }
  return table;
}

}  // namespace bitlab::search
