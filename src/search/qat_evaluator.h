#pragma once
// The QAT evaluator of `bitlab search` (docs/search.md §7): a candidate's
// accuracy after `budget` epochs of quantisation-aware training started from a
// float checkpoint, on a subset of the training split, measured on a held-out
// fold of that subset (never the test set). Each trial trains through the
// lab's train job in its own folder, so a trial killed mid-epoch resumes from
// its last finished epoch when the search is rerun.
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "lab/train_config.h"
#include "search/core/evaluator.h"

namespace bitlab::search {

struct QatEvaluatorOptions {
  // The train job every trial starts from (model, data, optimiser), as
  // resolved JSON with the evaluator's overrides applied; each trial sets its
  // quantization policy, epochs and output.dir.
  nlohmann::json job;
  std::string job_source;  // for messages
  std::filesystem::path from;  // float checkpoint QAT starts from (quantization.from)
  int validation_folds = 5;    // the held-out 1/k of the (limited) training split scores a trial
  std::uint64_t split_seed = 0;
  std::filesystem::path trials_dir;  // one folder per (candidate, budget) below it
  bool progress = false;             // per-epoch bars of each trial (the search has its own)
};

// Reads the config's "evaluator" section: {"job": path or train config object,
// "from", "train_limit", "test_limit", "validation_folds", "split_seed",
// "train": {patch of the job's train section}, "calibration": {...}}.
// Paths are relative to the working directory, as in train configs.
QatEvaluatorOptions parse_qat_evaluator(const nlohmann::json& section, const std::string& source);

// The train job config of one trial: the job with the candidate's policy,
// quantization.from, `budget` epochs and the trial's folder.
lab::TrainJobConfig trial_job(const QatEvaluatorOptions& options, const SearchSpace& space, const Genes& genes,
                              int budget);

// The trial's folder: trials_dir / "<hash of the candidate key>-e<budget>".
std::filesystem::path trial_dir(const QatEvaluatorOptions& options, const SearchSpace& space, const Genes& genes,
                                int budget);

class QatEvaluator : public Evaluator {
 public:
  explicit QatEvaluator(QatEvaluatorOptions options) : options_(std::move(options)) {}
  Evaluation evaluate(const SearchSpace& space, const Genes& genes, int budget) override;
  // Hyperband's promoted candidate: its folder for `budget` starts from the
  // checkpoint of its `from_budget` folder and trains the extra epochs only
  // (lab::TrainJobOptions::continue_from); a missing one trains from scratch.
  Evaluation evaluate_continued(const SearchSpace& space, const Genes& genes, int from_budget, int budget) override;
  // A flat reference: trained like a candidate, in trials_dir / "<key>-e<budget>".
  Evaluation evaluate_policy(const nlohmann::json& policy, const std::string& key, int budget) override;

 private:
  QatEvaluatorOptions options_;
};

}  // namespace bitlab::search
