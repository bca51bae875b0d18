#pragma once
// Supervised training of a Classifier: mini-batch SGD/Adam(W), cosine or step
// learning-rate schedule with optional warm-up, flip/shift augmentation, and
// evaluation on a whole held-out set. The trainer prints nothing; callers
// observe it through TrainerCallbacks (the CLI draws progress bars from them).
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

#include "train/classifier.h"
#include "train/metrics.h"
#include "train/trainer_options.h"

namespace bitlab::train {

struct LabeledTensors {
  torch::Tensor images;  // N x C x H x W, float
  torch::Tensor labels;  // N, int64
  int64_t size() const { return images.size(0); }
};

struct TrainerCallbacks {
  std::function<void(int64_t epoch, int64_t batches)> on_epoch_begin;
  // Before every optimiser step and before each evaluation: the fraction of
  // training done, in [0, 1] (QAT schedules read it: annealing, INQ freezing).
  std::function<void(double progress)> on_progress;
  // After each optimiser step: batches done in this epoch, running mean loss and accuracy.
  std::function<void(int64_t batch, double loss, double accuracy)> on_batch;
  // After the epoch's evaluation; `history` already includes this epoch.
  std::function<void(const EpochMetrics& metrics)> on_epoch_end;
  // Checked after each epoch; returning true ends fit() early (the history so far is kept).
  std::function<bool()> should_stop;
  // Added to each batch's loss before backward (a differentiable penalty, e.g.
  // Bayesian Bits' expected bit cost; docs/search.md §4.8). Reported losses exclude it.
  std::function<torch::Tensor()> regularizer;
};

// Learning rate after `progress` epochs (fractional) of training.
double learning_rate_at(const TrainerOptions& options, double progress);

class Trainer {
 public:
  Trainer(std::shared_ptr<Classifier> model, TrainerOptions options);

  // Trains from the epoch after history().size() up to options.epochs; a
  // trainer restored from a checkpoint therefore continues where it stopped.
  const std::vector<EpochMetrics>& fit(const LabeledTensors& train, const LabeledTensors& test,
                                       const TrainerCallbacks& callbacks = {});
  Evaluation evaluate(const LabeledTensors& data);

  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  Classifier& model() { return *model_; }
  const TrainerOptions& options() const { return options_; }
  const torch::Device& device() const { return device_; }
  const std::vector<EpochMetrics>& history() const { return history_; }
  void restore_history(std::vector<EpochMetrics> history) { history_ = std::move(history); }

 private:
  void set_learning_rate(double lr);
  torch::Tensor augment(torch::Tensor images) const;

  std::shared_ptr<Classifier> model_;
  TrainerOptions options_;
  torch::Device device_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<EpochMetrics> history_;
};

}  // namespace bitlab::train
