#include "lab/train_job.h"

#include <chrono>
#include <optional>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/progress.h"
#include "lab/datasets.h"
#include "lab/network_factory.h"
#include "lab/ptq_job.h"
#include "train/checkpoint.h"
#include "train/editing/quantize_model.h"
#include "train/trainer.h"
#include "zoo/fmnist_cnn.h"

namespace bitlab::lab {
namespace {

// Resuming with a different recipe would silently mix two experiments; the
// device is the one setting that may change (e.g. continue a GPU run on a CPU).
void check_same_recipe(const nlohmann::json& saved, const TrainJobConfig& config,
                       const std::filesystem::path& checkpoint) {
  nlohmann::json now = to_json(config);
  // Re-resolved, so a checkpoint written by an older bitlab compares in today's
  // spelling (e.g. quantization.fold_bn → batchnorm).
  nlohmann::json before = to_json(parse_train_config(saved, checkpoint.string() + " (embedded config)"));
  now["train"].erase("device");
  before["train"].erase("device");
  auto patch = nlohmann::json::diff(before, now);
  if (patch.empty()) return;
  nlohmann::json::json_pointer where(patch[0].at("path").get<std::string>());
  throw ConfigError(fmt::format(
      "{}: cannot resume: the config differs from the checkpoint's at {} (was {}); use the "
      "original config, or --overwrite to start afresh",
      checkpoint.string(), where.to_string(), before.contains(where) ? before.at(where).dump() : "absent"));
}

nlohmann::json metrics_json(const TrainJobConfig& config, const std::vector<train::EpochMetrics>& history,
                            const TrainJobResult& result, bool finished) {
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

  bool resuming = have_checkpoint && options.resume;
  torch::manual_seed(config.train.seed);  // weight initialisation
  auto network = build_network(config, resuming ? Weights::kFresh : Weights::kFromFloatCheckpoint);
  result.parameters = count_parameters(*network);
  result.macs = zoo::count_macs(config.model.cnn);
  train::Trainer trainer(network, config.train);

  if (config.quantization.enabled && config.quantization.init == "ptq" && !resuming) {
    calibrate_network(*network, config, train_set.images, trainer.device());
  }

  if (resuming) {
    // Recipe first: a changed architecture then reads as "differs at /model/..."
    // rather than as a weight-shape mismatch.
    check_same_recipe(train::read_checkpoint_meta(result.checkpoint).at("config"), config, result.checkpoint);
    auto meta = train::load_checkpoint(result.checkpoint, *network, &trainer.optimizer());
    std::vector<train::EpochMetrics> history;
    for (const auto& e : meta.at("history")) history.push_back(train::epoch_metrics_from_json(e));
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
    train::save_checkpoint(result.checkpoint, *network, &trainer.optimizer(),
                           {{"config", to_json(config)}, {"history", train::to_json(trainer.history())}});
    write_file_atomically(result.metrics, metrics_json(config, trainer.history(), result, false).dump(2) + "\n");
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
  write_file_atomically(result.metrics, metrics_json(config, result.history, result, finished).dump(2) + "\n");
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
