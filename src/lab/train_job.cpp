#include "lab/train_job.h"

#include <chrono>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/progress.h"
#include "lab/core/folds.h"
#include "lab/datasets.h"
#include "lab/network_factory.h"
#include "lab/ptq_job.h"
#include "train/checkpoint.h"
#include "train/editing/quantize_model.h"
#include "train/trainer.h"
#include "zoo/fmnist_cnn.h"
#include "zoo/networks.h"

namespace bitlab::lab {
namespace {

// Resuming with a different recipe would silently mix two experiments; the
// device is the one setting that may change (e.g. continue a GPU run on a CPU).
// Continuing a shorter run (TrainJobOptions::continue_from) also changes the
// epochs, the name and the folder.
void check_same_recipe(const nlohmann::json& saved, const TrainJobConfig& config,
                       const std::filesystem::path& checkpoint, bool continuing) {
  nlohmann::json now = to_json(config);
  // Re-resolved, so a checkpoint written by an older bitlab compares in today's
  // spelling (e.g. quantization.fold_bn → batchnorm).
  nlohmann::json before = to_json(parse_train_config(saved, checkpoint.string() + " (embedded config)"));
  now["train"].erase("device");
  before["train"].erase("device");
  if (continuing) {
    for (auto* j : {&now, &before}) {
      (*j)["train"].erase("epochs");
      j->erase("name");
      j->erase("output");
    }
  }
  auto patch = nlohmann::json::diff(before, now);
  if (patch.empty()) return;
  nlohmann::json::json_pointer where(patch[0].at("path").get<std::string>());
  throw ConfigError(fmt::format(
      "{}: cannot resume: the config differs from the checkpoint's at {} (was {}); use the "
      "original config, or --overwrite to start afresh",
      checkpoint.string(), where.to_string(), before.contains(where) ? before.at(where).dump() : "absent"));
}

nlohmann::json fold_json(const std::optional<FoldAssignment>& fold) {
  if (!fold) return nullptr;
  return {{"index", fold->fold_index}, {"count", fold->fold_count}, {"split_seed", fold->split_seed}};
}

nlohmann::json evaluations_json(const std::vector<train::Evaluation>& evaluations) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : evaluations) j.push_back(train::to_json(e));
  return j;
}

// A checkpoint of fold 2 resumed as fold 3 would have trained on fold 3's
// validation images; the fold is not part of the config, so it is checked here.
void check_same_fold(const nlohmann::json& meta, const std::optional<FoldAssignment>& fold,
                     const std::filesystem::path& checkpoint) {
  nlohmann::json saved = meta.contains("fold") ? meta.at("fold") : nlohmann::json(nullptr);
  if (saved == fold_json(fold)) return;
  throw ConfigError(fmt::format("{}: cannot resume: the checkpoint was trained with cross-validation fold {}, "
                                "this run asks for {}; use --overwrite (or another output.dir) to start afresh",
                                checkpoint.string(), saved.dump(), fold_json(fold).dump()));
}

// Cross-validation: the training split shrinks to the other k-1 folds and the
// held-out fold becomes the validation set.
train::LabeledTensors split_off_fold(train::LabeledTensors& train_set, const FoldAssignment& fold) {
  auto labels = train_set.labels.contiguous();
  std::span<const int64_t> values(labels.data_ptr<int64_t>(), static_cast<size_t>(labels.numel()));
  if (fold.fold_count > static_cast<int>(values.size())) {
    throw ConfigError(fmt::format("cross_validation: {} folds need at least {} training images, the training "
                                  "split has {}; lower cross_validation.folds or raise data.train_limit",
                                  fold.fold_count, fold.fold_count, values.size()));
  }
  FoldSplit split = fold_split(values, fold.fold_count, fold.split_seed, fold.fold_index);
  auto to_tensor = [](const std::vector<size_t>& indices) {
    std::vector<int64_t> v(indices.begin(), indices.end());
    return torch::tensor(v, torch::kInt64);
  };
  auto train_index = to_tensor(split.train);
  auto validation_index = to_tensor(split.validation);
  train::LabeledTensors validation{train_set.images.index_select(0, validation_index),
                                   train_set.labels.index_select(0, validation_index)};
  train_set = {train_set.images.index_select(0, train_index), train_set.labels.index_select(0, train_index)};
  return validation;
}

nlohmann::json metrics_json(const TrainJobConfig& config, const std::vector<train::EpochMetrics>& history,
                            const TrainJobResult& result, const std::optional<FoldAssignment>& fold,
                            bool finished) {
  double total_seconds = 0;
  for (const auto& m : history) total_seconds += m.seconds;
  nlohmann::json j = {{"name", config.name},
                      {"status", finished ? "finished" : "running"},
                      {"config", to_json(config)},
                      {"parameters", result.parameters},
                      {"macs", result.macs},
                      {"epochs", train::to_json(history)},
                      {"train_seconds", total_seconds}};
  if (!history.empty()) j["final"] = train::to_json(history.back().test);
  if (fold) {
    j["fold"] = fold_json(fold);
    j["validation"] = evaluations_json(result.validation);
    if (!result.validation.empty()) j["final_validation"] = train::to_json(result.validation.back());
  }
  return j;
}

}  // namespace

TrainJobResult run_train_job(const TrainJobConfig& config, const TrainJobOptions& options) {
  std::filesystem::path out = config.output_dir;
  TrainJobResult result;
  result.checkpoint = out / "checkpoint.pt";
  result.metrics = out / "metrics.json";

  bool have_checkpoint = std::filesystem::exists(result.checkpoint);
  if (have_checkpoint && !options.resume && !options.overwrite) {
    throw ConfigError(fmt::format("{} already holds a run; pass --resume to continue it or --overwrite to "
                                  "replace it (or set output.dir elsewhere)",
                                  out.string()));
  }

  auto train_set = load_split(config.data, data::Split::kTrain);
  auto test_set = load_split(config.data, data::Split::kTest);
  std::optional<train::LabeledTensors> validation_set;
  if (options.fold) validation_set = split_off_fold(train_set, *options.fold);

  // A promoted search trial continues its shorter predecessor (in another folder).
  const bool continuing =
      !have_checkpoint && !options.continue_from.empty() && std::filesystem::exists(options.continue_from);
  const std::filesystem::path resume_from = continuing ? options.continue_from : result.checkpoint;
  bool resuming = (have_checkpoint && options.resume) || continuing;
  torch::manual_seed(config.train.seed);  // weight initialisation
  auto network = build_network(config, resuming ? Weights::kFresh : Weights::kFromFloatCheckpoint);
  result.parameters = count_parameters(*network);
  if (const zoo::NetworkSpec* spec = zoo::find_network(config.model.arch)) {
    std::vector<int64_t> shape(spec->input.begin(), spec->input.end());
    if (shape[1] == 0) shape.resize(1);
    result.macs = zoo::count_macs(*zoo::build_zoo_network(config.model.arch), shape);
  } else {
    result.macs = zoo::count_macs(config.model.cnn);
  }
  train::Trainer trainer(network, config.train);

  if (config.quantization.enabled && config.quantization.init == "ptq" && !resuming) {
    calibrate_network(*network, config, train_set.images, trainer.device());
  }

  if (resuming) {
    // Recipe first: a changed architecture then reads as "differs at /model/..."
    // rather than as a weight-shape mismatch.
    auto saved_meta = train::read_checkpoint_meta(resume_from);
    check_same_recipe(saved_meta.at("config"), config, resume_from, continuing);
    check_same_fold(saved_meta, options.fold, resume_from);
    auto meta = train::load_checkpoint(resume_from, *network, &trainer.optimizer());
    std::vector<train::EpochMetrics> history;
    for (const auto& e : meta.at("history")) history.push_back(train::epoch_metrics_from_json(e));
    if (options.fold) {
      for (const auto& e : meta.at("validation")) {
        result.validation.push_back({e.at("loss").get<double>(), e.at("accuracy").get<double>(),
                                     e.at("samples").get<int64_t>()});
      }
    }
    trainer.restore_history(std::move(history));
    network->to(trainer.device());
    if (options.progress) {
      fmt::print(stderr, "resuming {} after epoch {}/{}\n", config.name, trainer.history().size(),
                 config.train.epochs);
    }
  }
  write_file_atomically(out / "config.json", to_json(config).dump(2) + "\n");

  std::optional<ProgressBar> bar;
  train::TrainerCallbacks callbacks;
  callbacks.on_epoch_begin = [&](int64_t epoch, int64_t batches) {
    ProgressOptions p;
    p.label = fmt::format("epoch {}/{}", epoch, config.train.epochs);
    p.unit = "batch";
    p.enabled = options.progress;
    bar.emplace(batches, p);
  };
  if (config.quantization.enabled) {
    callbacks.on_progress = [&](double progress) { train::set_quantization_progress(*network, progress); };
  }
  callbacks.on_batch = [&](int64_t batch, double loss, double accuracy) {
    bar->update(batch, fmt::format("loss {:.4f} acc {:.2f}%", loss, 100 * accuracy));
  };
  callbacks.on_epoch_end = [&](const train::EpochMetrics& m) {
    bar->finish(fmt::format("loss {:.4f} acc {:.2f}% | test loss {:.4f} acc {:.2f}%", m.train_loss,
                            100 * m.train_accuracy, m.test.loss, 100 * m.test.accuracy));
    if (validation_set) result.validation.push_back(trainer.evaluate(*validation_set));
    nlohmann::json meta = {{"config", to_json(config)}, {"history", train::to_json(trainer.history())}};
    if (options.fold) {
      meta["fold"] = fold_json(options.fold);
      meta["validation"] = evaluations_json(result.validation);
    }
    train::save_checkpoint(result.checkpoint, *network, &trainer.optimizer(), meta);
    write_file_atomically(result.metrics,
                          metrics_json(config, trainer.history(), result, options.fold, false).dump(2) + "\n");
  };

  int64_t epochs_this_run = 0;
  callbacks.should_stop = [&] {
    ++epochs_this_run;
    return options.stop_after_epochs > 0 && epochs_this_run >= options.stop_after_epochs;
  };

  auto start = std::chrono::steady_clock::now();
  result.history = trainer.fit(train_set, test_set, callbacks);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bool finished = static_cast<int64_t>(result.history.size()) == config.train.epochs;
  write_file_atomically(result.metrics,
                        metrics_json(config, result.history, result, options.fold, finished).dump(2) + "\n");
  return result;
}

std::string format_history_table(const std::vector<train::EpochMetrics>& history) {
  std::string out = fmt::format("{:>5} | {:>9} | {:>10} | {:>10} | {:>9} | {:>9} | {:>8}\n", "epoch", "lr",
                                "train loss", "train acc", "test loss", "test acc", "time");
  out += std::string(out.size() - 1, '-') + "\n";
  for (const auto& m : history) {
    out += fmt::format("{:>5} | {:>9.2e} | {:>10.4f} | {:>9.2f}% | {:>9.4f} | {:>8.2f}% | {:>7.1f}s\n", m.epoch,
                       m.lr, m.train_loss, 100 * m.train_accuracy, m.test.loss, 100 * m.test.accuracy, m.seconds);
  }
  return out;
}

}  // namespace bitlab::lab
