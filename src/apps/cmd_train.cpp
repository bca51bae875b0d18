// `bitlab train CONFIG.json`: one training job with progress, checkpoints and a final table.
#include <fmt/format.h>

#include "apps/commands.h"
#include "lab/core/config_loader.h"
#include "lab/train_config.h"
#include "lab/train_job.h"

namespace bitlab::apps {
namespace {

struct TrainArgs {
  std::string config;
  std::string output_dir;
  std::string device;
  int64_t epochs = 0;
  int64_t train_limit = -1;
  int64_t test_limit = -1;
  bool resume = false;
  bool overwrite = false;
  bool quiet = false;
  int64_t stop_after = 0;
};

int run_train(const TrainArgs& args) {
  // "extends" is resolved before the overrides, which then win over base and file alike.
  nlohmann::json json = lab::load_config(args.config);
  std::string source = args.config;
  // Command-line overrides are applied to the JSON so they are validated (and
  // reported) exactly like the file's own values.
  auto override_value = [&](const char* section, const char* key, nlohmann::json value) {
    if (!json.contains(section) || !json[section].is_object()) json[section] = nlohmann::json::object();
    json[section][key] = std::move(value);
    source = args.config + " (with command-line overrides)";
  };
  if (args.epochs > 0) override_value("train", "epochs", args.epochs);
  if (!args.device.empty()) override_value("train", "device", args.device);
  if (args.train_limit >= 0) override_value("data", "train_limit", args.train_limit);
  if (args.test_limit >= 0) override_value("data", "test_limit", args.test_limit);
  if (!args.output_dir.empty()) override_value("output", "dir", args.output_dir);
  lab::TrainJobConfig config = lab::parse_train_config(json, source);

  lab::TrainJobOptions options;
  options.resume = args.resume;
  options.overwrite = args.overwrite;
  options.progress = !args.quiet;
  options.stop_after_epochs = args.stop_after;
  fmt::print("bitlab train: {} ({}, {} epochs, device {}) -> {}\n", config.name, config.model.arch,
             config.train.epochs, config.train.device, config.output_dir);
  auto result = lab::run_train_job(config, options);
  fmt::print("\n{}", lab::format_history_table(result.history));
  const auto& last = result.history.back();
  fmt::print("\nparameters: {}   MACs/inference: {}\n", result.parameters, result.macs);
  fmt::print("{} test accuracy: {:.2f}% on {} test images ({} of {} epochs)\n",
             last.epoch == config.train.epochs ? "final" : "latest", 100 * last.test.accuracy,
             last.test.samples, last.epoch, config.train.epochs);
  fmt::print("checkpoint: {}\nmetrics:    {}\n", result.checkpoint.string(), result.metrics.string());
  return 0;
}

}  // namespace

Action add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train a network from a JSON config (docs/configs.md)");
  cmd->add_option("config", args->config, "Experiment config (JSON)")->required();
  cmd->add_option("--out", args->output_dir, "Output folder (overrides output.dir)");
  cmd->add_option("--epochs", args->epochs, "Number of epochs (overrides train.epochs)")->check(CLI::PositiveNumber);
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N (overrides train.device)");
  cmd->add_option("--train-limit", args->train_limit, "Use the first N training images (0 = all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--test-limit", args->test_limit, "Evaluate on the first N test images (0 = all)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--resume", args->resume, "Continue the run in the output folder from its last checkpoint");
  cmd->add_flag("--overwrite", args->overwrite, "Replace an earlier run in the output folder");
  cmd->add_option("--stop-after", args->stop_after,
                  "Train at most N epochs in this invocation, then exit (continue with --resume)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("-q,--quiet", args->quiet, "No progress bars");
  return [args] { return run_train(*args); };
}

}  // namespace bitlab::apps
