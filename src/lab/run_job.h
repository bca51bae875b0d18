#pragma once
// One run of an experiment design, trained by the train job: the bridge between
// the results store (lab/core) and LibTorch. The run trains into its own folder
// (config.json, checkpoint.pt, metrics.json there) and comes back as the
// metrics, curves and artefact paths the store keeps (docs/lab.md).
#include <filesystem>

#include "lab/core/results_store.h"
#include "lab/core/run.h"

namespace bitlab::lab {

struct RunJobOptions {
  // Each run trains into runs_dir / run.id ("algo=lsq,bits=w4/seed=2/fold=0").
  std::filesystem::path runs_dir = "runs/lab";
  // Named in config errors ("sweep.db: run \"...\": /train/epochs: ...").
  std::string source = "results store";
};

// Where `run` trains.
std::filesystem::path run_folder(const Run& run, const std::filesystem::path& runs_dir);

// Trains `run` (resuming from its folder's checkpoint when an earlier attempt
// was killed: that attempt's finished epochs are kept, bit-identically) and
// returns what the store records:
//   metrics  test_accuracy, test_loss, train_seconds, parameters, macs,
//            validation_accuracy and validation_loss with cross-validation,
//            weight_bits and activation_bits (the policy's defaults) when quantised,
//            and then the hardware costs of run_costs.h (total_bits, bops, ...);
//   curves   per epoch: train_loss, train_accuracy, test_loss, test_accuracy, lr,
//            validation_loss and validation_accuracy with cross-validation;
//   artefacts checkpoint, metrics, config.
RunResults run_design_run(const Run& run, const RunJobOptions& options);

}  // namespace bitlab::lab
