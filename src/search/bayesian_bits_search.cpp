#include "search/bayesian_bits_search.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/error.h"
#include "common/progress.h"
#include "lab/core/folds.h"
#include "lab/datasets.h"
#include "lab/network_factory.h"
#include "lab/ptq_job.h"
#include "train/quantizers/bayesian_bits.h"
#include "train/trainer.h"

namespace bitlab::search {
namespace {

struct GatedKnob {
  std::size_t knob = 0;
  std::shared_ptr<train::BayesianBitsQuantizerImpl> quantizer;
};

// The evaluator's split: train on the k−1 folds, hold fold 0 out.
std::pair<train::LabeledTensors, train::LabeledTensors> split_folds(const train::LabeledTensors& all,
                                                                    const QatEvaluatorOptions& evaluator) {
  auto labels = all.labels.contiguous();
  const std::span<const int64_t> values(labels.data_ptr<int64_t>(), static_cast<std::size_t>(labels.numel()));
  if (evaluator.validation_folds > static_cast<int>(values.size()))
    throw ConfigError(fmt::format("bayesian_bits: {} validation folds need at least as many training images; "
                                  "raise evaluator.train_limit",
                                  evaluator.validation_folds));
  const lab::FoldSplit split = lab::fold_split(values, evaluator.validation_folds, evaluator.split_seed, 0);
  auto subset = [&](const std::vector<std::size_t>& indices) {
    const std::vector<int64_t> v(indices.begin(), indices.end());
    const auto index = torch::tensor(v, torch::kInt64);
    return train::LabeledTensors{all.images.index_select(0, index), all.labels.index_select(0, index)};
  };
  return {subset(split.train), subset(split.validation)};
}

// Every free knob's gated quantiser, found by its module name (the layer's
// weights below "<layer>.", the activation point's output below "<point>.").
std::vector<GatedKnob> gated_knobs(train::Classifier& network, const SearchSpace& space) {
  std::vector<GatedKnob> gated;
  for (std::size_t d = 0; d < space.knobs.size(); ++d) {
    const auto& knob = space.knobs[d];
    if (knob.bits.size() < 2) continue;
    const auto& layer = space.layers[static_cast<std::size_t>(knob.layer)];
    const std::string prefix = (knob.weights ? layer.name : layer.activation_point) + ".";
    const auto role = knob.weights ? train::TensorRole::kWeight : train::TensorRole::kActivation;
    std::shared_ptr<train::BayesianBitsQuantizerImpl> found;
    for (const auto& item : network.named_modules()) {
      auto bb = std::dynamic_pointer_cast<train::BayesianBitsQuantizerImpl>(item.value());
      if (bb && bb->options().role == role && item.key().rfind(prefix, 0) == 0) found = bb;
    }
    if (!found)
      throw ConfigError(fmt::format("bayesian_bits: the network has no {} quantiser for {}; check /space/layers",
                                    knob.weights ? "weight" : "activation", prefix.substr(0, prefix.size() - 1)));
    gated.push_back({d, found});
  }
  return gated;
}

}  // namespace

nlohmann::json train_bayesian_bits_gates(const QatEvaluatorOptions& evaluator, const SearchSpace& space,
                                         const BayesianBitsOptions& options, double lambda, bool progress) {
  nlohmann::json json = evaluator.job;
  nlohmann::json quantization =
      json.contains("quantization") && json["quantization"].is_object() ? json["quantization"] : nlohmann::json::object();
  quantization.erase("algorithm");
  quantization["policy"] = bayesian_bits_policy(space, options);
  quantization["from"] = evaluator.from.string();
  json["quantization"] = quantization;
  if (!json.contains("train") || !json["train"].is_object()) json["train"] = nlohmann::json::object();
  json["train"]["epochs"] = options.epochs;
  json["output"] = {{"dir", (evaluator.trials_dir / "bayesian-bits").string()}};  // nothing is written there
  json["name"] = "bayesian-bits";
  const lab::TrainJobConfig config =
      lab::parse_train_config(json, evaluator.job_source + " (Bayesian Bits gate training)");

  const auto [train_set, held_out] = split_folds(lab::load_split(config.data, data::Split::kTrain), evaluator);
  torch::manual_seed(config.train.seed);
  auto network = lab::build_network(config, lab::Weights::kFromFloatCheckpoint);
  train::Trainer trainer(network, config.train);
  if (config.quantization.enabled && config.quantization.init == "ptq")
    lab::calibrate_network(*network, config, train_set.images, trainer.device());
  const std::vector<GatedKnob> gated = gated_knobs(*network, space);
  {
    // One forward tells every quantiser its tensor's size.
    torch::NoGradGuard no_grad;
    network->eval();
    network->forward(train_set.images.narrow(0, 0, std::min<int64_t>(2, train_set.size())).to(trainer.device()));
  }
  double widest = 0;
  for (const auto& g : gated) widest += static_cast<double>(g.quantizer->elements()) * space.knobs[g.knob].bits.back();
  if (widest <= 0) widest = 1;  // nothing gated: the regulariser is 0

  train::TrainerCallbacks callbacks;
  callbacks.regularizer = [&] {
    torch::Tensor bits = torch::zeros({});
    for (const auto& g : gated) {
      const auto extra = g.quantizer->expected_extra_bits();
      bits = bits.to(extra.device()) +
             static_cast<double>(g.quantizer->elements()) * (extra + static_cast<double>(g.quantizer->min_bits()));
    }
    return lambda * bits / widest;
  };
  std::optional<ProgressBar> bar;
  callbacks.on_epoch_begin = [&](int64_t epoch, int64_t batches) {
    ProgressOptions p;
    p.label = fmt::format("gates λ={:g} epoch {}/{}", lambda, epoch, options.epochs);
    p.unit = "batch";
    p.enabled = progress;
    bar.emplace(batches, p);
  };
  // The gates' own optimiser: their gradients are still there after the job's step.
  std::vector<torch::Tensor> gate_parameters;
  for (const auto& g : gated) gate_parameters.push_back(g.quantizer->log_alpha());
  std::optional<torch::optim::Adam> gate_optimizer;
  if (!gate_parameters.empty() && options.gate_lr > 0)
    gate_optimizer.emplace(gate_parameters, torch::optim::AdamOptions(options.gate_lr));
  callbacks.on_batch = [&](int64_t batch, double loss, double accuracy) {
    if (gate_optimizer) gate_optimizer->step();
    bar->update(batch, fmt::format("loss {:.4f} acc {:.2f}%", loss, 100 * accuracy));
  };
  callbacks.on_epoch_end = [&](const train::EpochMetrics& m) {
    bar->finish(fmt::format("held-out acc {:.2f}%", 100 * m.test.accuracy));
  };
  trainer.fit(train_set, held_out, callbacks);

  Genes genes(space.knobs.size(), 0);
  for (std::size_t d = 0; d < space.knobs.size(); ++d) genes[d] = static_cast<int>(space.knobs[d].bits.size()) - 1;
  for (const auto& g : gated) {
    const auto& bits = space.knobs[g.knob].bits;
    const int width = g.quantizer->deterministic_bits();
    const auto it = std::find(bits.begin(), bits.end(), width);
    if (it == bits.end()) throw std::logic_error("bayesian_bits: a gate chose a width outside the knob's chain");
    genes[g.knob] = static_cast<int>(it - bits.begin());
  }
  return to_bits_json(space, genes);
}

}  // namespace bitlab::search
