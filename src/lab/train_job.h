#pragma once
// One training job end to end: load the data, build the network, train with
// progress, checkpoint after every epoch (atomically) and keep metrics.json up
// to date, so a killed job loses at most the epoch it was in and `--resume`
// continues from the last finished one.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>

#include "lab/core/run.h"
#include "lab/train_config.h"
#include "train/metrics.h"

namespace bitlab::lab {

struct TrainJobOptions {
  bool resume = false;     // continue from output_dir/checkpoint.pt if present
  bool overwrite = false;  // discard an earlier run in output_dir
  bool progress = true;    // progress bars on stderr
  // Stop after this many epochs in this invocation (0 = run to the end); with
  // --resume this slices a long run over pre-emptible allocations.
  int64_t stop_after_epochs = 0;
  // k-fold cross-validation (lab runs): train on the other k-1 folds of the
  // training split and evaluate the held-out fold after every epoch. The test
  // set is still evaluated every epoch, and never trained or tuned on.
  std::optional<FoldAssignment> fold;
  // When output_dir holds no checkpoint yet: start from this checkpoint of the
  // same recipe trained for fewer epochs (elsewhere) and train only the
  // remaining ones. Its config may differ in train.epochs, name and output
  // only. Search's promoted Hyperband trials use it (docs/search.md §4.3); a
  // missing file trains from scratch.
  std::filesystem::path continue_from;
};

struct TrainJobResult {
  std::vector<train::EpochMetrics> history;
  // With options.fold: the held-out fold's evaluation after each epoch (history[i] ↔ validation[i]).
  std::vector<train::Evaluation> validation;
  int64_t parameters = 0;
  int64_t macs = 0;
  double seconds = 0;  // this invocation's training time
  std::filesystem::path checkpoint;
  std::filesystem::path metrics;
};

TrainJobResult run_train_job(const TrainJobConfig& config, const TrainJobOptions& options);

// The per-epoch table printed at the end of `bitlab train`.
std::string format_history_table(const std::vector<train::EpochMetrics>& history);

}  // namespace bitlab::lab
