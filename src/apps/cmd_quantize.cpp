// `bitlab quantize CHECKPOINT --ptq --policy P`: post-training quantisation of a float checkpoint.
#include <fmt/format.h>

#include "apps/commands.h"
#include "common/error.h"
#include "lab/ptq_job.h"
#include "lab/train_config.h"
#include "train/checkpoint.h"

namespace bitlab::apps {
namespace {

struct QuantizeArgs {
  std::string checkpoint;
  bool ptq = false;
  std::string policy = "w8a8";
  std::string algorithm;
  std::string calibration = "mse";
  int64_t batches = 16;
  std::string output_dir;
  int64_t test_limit = -1;
};

int run_quantize(const QuantizeArgs& args) {
  if (!args.ptq) {
    throw ConfigError("bitlab quantize: pass --ptq (post-training quantisation); QAT runs through "
                      "`bitlab train` with a \"quantization\" section");
  }
  auto meta = train::read_checkpoint_meta(args.checkpoint);
  nlohmann::json json = meta.at("config");
  json["quantization"] = {{"policy", args.policy},
                          {"init", "ptq"},
                          {"from", args.checkpoint},
                          {"calibration", {{"method", args.calibration}, {"batches", args.batches}}}};
  if (!args.algorithm.empty()) json["quantization"]["algorithm"] = args.algorithm;
  if (args.test_limit >= 0) json["data"]["test_limit"] = args.test_limit;
  json["name"] = json.value("name", "run") + "-ptq";
  // A policy file's stem names the default output ("mixed-w4" for policies/mixed-w4.json).
  std::string policy_tag = std::filesystem::path(args.policy).stem().string();
  json["output"]["dir"] = args.output_dir.empty()
                              ? std::filesystem::path(args.checkpoint).parent_path().string() + "-ptq-" + policy_tag
                              : args.output_dir;
  auto config = lab::parse_train_config(json, args.checkpoint + " (embedded config + command line)");
  fmt::print("bitlab quantize: PTQ of {} with policy {} ({} calibration, {} batches) -> {}\n", args.checkpoint,
             args.policy, args.calibration, args.batches, config.output_dir);
  auto result = lab::run_ptq_job(config);
  fmt::print("{:<22} | {:<11} | {:>4} | {}\n", "layer", "quantises", "bits", "algorithm");
  for (const auto& row : result.layers) {
    fmt::print("{:<22} | {:<11} | {:>4} | {}\n", row["layer"].get<std::string>(), row["role"].get<std::string>(),
               row["bits"].get<int>(), row["algorithm"].get<std::string>());
  }
  fmt::print("\n");
  fmt::print("{:>10} | {:>9} | {:>9}\n", "model", "test loss", "test acc");
  fmt::print("{:>10} | {:>9.4f} | {:>8.2f}%\n", "float", result.float_model.loss, 100 * result.float_model.accuracy);
  fmt::print("{:>10} | {:>9.4f} | {:>8.2f}%\n", "quantised", result.quantized_model.loss,
             100 * result.quantized_model.accuracy);
  fmt::print("accuracy change: {:+.2f} pp on {} test images ({:.1f}s)\ncheckpoint: {}\nmetrics:    {}\n",
             100 * (result.quantized_model.accuracy - result.float_model.accuracy), result.quantized_model.samples,
             result.seconds, result.checkpoint.string(), result.metrics.string());
  return 0;
}

}  // namespace

Action add_quantize_command(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  auto* cmd = app.add_subcommand("quantize", "Quantise a float checkpoint (post-training quantisation)");
  cmd->add_option("checkpoint", args->checkpoint, "Float checkpoint.pt written by bitlab train")->required();
  cmd->add_flag("--ptq", args->ptq, "Post-training quantisation: calibrate, no training");
  cmd->add_option("--policy", args->policy, "Precision policy: shorthand (w8a8, w4a8...) or a policy JSON file");
  cmd->add_option("--algorithm", args->algorithm, "Quantiser algorithm for weights and activations (default: the policy's)");
  cmd->add_option("--calibration", args->calibration, "Activation range calibration: minmax, ema, percentile or mse");
  cmd->add_option("--batches", args->batches, "Calibration batches")->check(CLI::PositiveNumber);
  cmd->add_option("--out", args->output_dir, "Output folder (default: <checkpoint folder>-ptq-<policy>)");
  cmd->add_option("--test-limit", args->test_limit, "Evaluate on the first N test images (0 = all)")->check(CLI::NonNegativeNumber);
  return [args] { return run_quantize(*args); };
}

}  // namespace bitlab::apps
