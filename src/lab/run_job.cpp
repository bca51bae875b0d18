#include "lab/run_job.h"

#include "lab/run_costs.h"
#include "lab/train_config.h"
#include "lab/train_job.h"

namespace bitlab::lab {

std::filesystem::path run_folder(const Run& run, const std::filesystem::path& runs_dir) {
  // Run ids are "variant/seed=N[/fold=K]": one folder level per part keeps a
  // variant's runs together on disk.
  return runs_dir / run.id;
}

RunResults run_design_run(const Run& run, const RunJobOptions& options) {
  TrainJobConfig config = parse_train_config(run.config, options.source + ": run \"" + run.id + "\"");
  // The store, not the design's output.dir, decides where runs go: every run of
  // a design would otherwise share the base config's folder.
  config.output_dir = run_folder(run, options.runs_dir).string();

  TrainJobOptions job;
  job.resume = true;  // a killed attempt's checkpoint is continued, not discarded
  job.progress = false;
  job.fold = run.fold;
  TrainJobResult trained = run_train_job(config, job);

  RunResults results;
  const auto& history = trained.history;
  double train_seconds = 0;
  for (const auto& epoch : history) {
    train_seconds += epoch.seconds;
    results.curves["train_loss"].push_back(epoch.train_loss);
    results.curves["train_accuracy"].push_back(epoch.train_accuracy);
    results.curves["test_loss"].push_back(epoch.test.loss);
    results.curves["test_accuracy"].push_back(epoch.test.accuracy);
    results.curves["lr"].push_back(epoch.lr);
  }
  for (const auto& evaluation : trained.validation) {
    results.curves["validation_loss"].push_back(evaluation.loss);
    results.curves["validation_accuracy"].push_back(evaluation.accuracy);
  }
  if (!history.empty()) {
    results.metrics["test_accuracy"] = history.back().test.accuracy;
    results.metrics["test_loss"] = history.back().test.loss;
  }
  if (!trained.validation.empty()) {
    results.metrics["validation_accuracy"] = trained.validation.back().accuracy;
    results.metrics["validation_loss"] = trained.validation.back().loss;
  }
  // Summed over epochs rather than this invocation's time: a resumed run
  // reports its whole training time.
  results.metrics["train_seconds"] = train_seconds;
  results.metrics["parameters"] = static_cast<double>(trained.parameters);
  results.metrics["macs"] = static_cast<double>(trained.macs);
  if (config.quantization.enabled) {
    // The policy's default widths: what "accuracy vs bits" plots. Per-layer
    // overrides (e.g. 8-bit first and last layers) stay in the resolved config.
    results.metrics["weight_bits"] = config.quantization.policy.weights.bits.value_or(8);
    results.metrics["activation_bits"] = config.quantization.policy.activations.bits.value_or(8);
    // What the trained network costs on the modelled hardware, for the report's Pareto fronts.
    for (const auto& [name, value] : run_cost_metrics(config, trained.checkpoint)) results.metrics[name] = value;
  }
  results.artefacts["checkpoint"] = trained.checkpoint.string();
  results.artefacts["metrics"] = trained.metrics.string();
  results.artefacts["config"] = (std::filesystem::path(config.output_dir) / "config.json").string();
  results.resolved_config = to_json(config);
  return results;
}

}  // namespace bitlab::lab
