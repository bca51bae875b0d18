#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "common/error.h"
#include "train/device.h"

namespace bitlab::train {
namespace {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(Classifier& model, const TrainerOptions& o) {
  if (o.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        model.parameters(), torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay));
  }
  if (o.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(model.parameters(),
                                                torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  }
  if (o.optimizer == "adamw") {
    return std::make_unique<torch::optim::AdamW>(model.parameters(),
                                                 torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  }
  throw ConfigError(fmt::format("optimizer \"{}\": expected \"sgd\", \"adam\" or \"adamw\"", o.optimizer));
}

// Each epoch draws its shuffling, augmentation and dropout from its own seed, so a
// run resumed from a checkpoint sees the same data order as an uninterrupted one.
uint64_t epoch_seed(uint64_t seed, int64_t epoch) { return seed * 1000003ULL + static_cast<uint64_t>(epoch); }

}  // namespace

double learning_rate_at(const TrainerOptions& o, double progress) {
  double warm = static_cast<double>(o.warmup_epochs);
  if (progress < warm) return o.lr * (0.1 + 0.9 * progress / warm);
  if (o.schedule == "constant") return o.lr;
  if (o.schedule == "step") {
    auto steps = static_cast<int64_t>(std::floor(progress / static_cast<double>(o.step_epochs)));
    return o.lr * std::pow(o.step_gamma, static_cast<double>(steps));
  }
  if (o.schedule == "cosine") {
    double span = std::max(1.0, static_cast<double>(o.epochs) - warm);
    double t = std::clamp((progress - warm) / span, 0.0, 1.0);
    return o.lr * 0.5 * (1.0 + std::cos(std::numbers::pi * t));
  }
  throw ConfigError(fmt::format("schedule \"{}\": expected \"cosine\", \"step\" or \"constant\"", o.schedule));
}

Trainer::Trainer(std::shared_ptr<Classifier> model, TrainerOptions options)
    : model_(std::move(model)), options_(std::move(options)), device_(parse_device(options_.device)) {
  if (options_.batch_size < 1 || options_.eval_batch_size < 1) {
    throw ConfigError("batch sizes must be at least 1");
  }
  model_->to(device_);
  optimizer_ = make_optimizer(*model_, options_);
}

void Trainer::set_learning_rate(double lr) {
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
}

torch::Tensor Trainer::augment(torch::Tensor images) const {
  int64_t n = images.size(0);
  auto flip = (torch::rand({n}, images.options()) < 0.5).view({n, 1, 1, 1});
  images = torch::where(flip, images.flip(3), images);
  // Random shifts of up to kShift pixels: pad by replicating the border (the
  // background), then crop each sample at its own offset. Grouping samples by
  // offset keeps this to (2*kShift+1)^2 tensor ops per batch instead of n.
  const int64_t kShift = options_.shift_pixels;
  if (kShift == 0) return images;
  int64_t h = images.size(2), w = images.size(3);
  auto padded = torch::nn::functional::pad(
      images, torch::nn::functional::PadFuncOptions({kShift, kShift, kShift, kShift}).mode(torch::kReplicate));
  auto dy = torch::randint(0, 2 * kShift + 1, {n}, torch::kInt64);
  auto dx = torch::randint(0, 2 * kShift + 1, {n}, torch::kInt64);
  auto offset = (dy * (2 * kShift + 1) + dx).to(images.device());
  auto out = torch::empty_like(images);
  for (int64_t y = 0; y <= 2 * kShift; ++y) {
    for (int64_t x = 0; x <= 2 * kShift; ++x) {
      auto index = (offset == y * (2 * kShift + 1) + x).nonzero().squeeze(1);
      if (index.numel() == 0) continue;
      out.index_copy_(0, index, padded.index_select(0, index).narrow(2, y, h).narrow(3, x, w));
    }
  }
  return out;
}

const std::vector<EpochMetrics>& Trainer::fit(const LabeledTensors& train, const LabeledTensors& test,
                                               const TrainerCallbacks& callbacks) {
  int64_t n = train.size();
  if (n == 0) throw ConfigError("the training set is empty");
  int64_t batches = (n + options_.batch_size - 1) / options_.batch_size;
  for (int64_t epoch = static_cast<int64_t>(history_.size()) + 1; epoch <= options_.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    torch::manual_seed(epoch_seed(options_.seed, epoch));
    if (callbacks.on_epoch_begin) callbacks.on_epoch_begin(epoch, batches);
    model_->train();
    auto order = torch::randperm(n, torch::kInt64);
    double loss_sum = 0, lr = 0;
    int64_t correct = 0, seen = 0;
    for (int64_t b = 0; b < batches; ++b) {
      lr = learning_rate_at(options_, static_cast<double>(epoch - 1) + static_cast<double>(b) / batches);
      set_learning_rate(lr);
      if (callbacks.on_progress) {
        callbacks.on_progress((static_cast<double>(epoch - 1) + static_cast<double>(b) / static_cast<double>(batches)) /
                              static_cast<double>(options_.epochs));
      }
      auto index = order.narrow(0, b * options_.batch_size, std::min(options_.batch_size, n - b * options_.batch_size));
      auto images = train.images.index_select(0, index);
      auto labels = train.labels.index_select(0, index).to(device_);
      if (options_.augment) images = augment(images);
      images = images.to(device_);
      optimizer_->zero_grad();
      auto logits = model_->forward(images);
      auto loss = torch::nn::functional::cross_entropy(logits, labels);
      // The regulariser joins the gradient only; the reported loss stays the cross-entropy.
      if (callbacks.regularizer) {
        (loss + callbacks.regularizer()).backward();
      } else {
        loss.backward();
      }
      optimizer_->step();
      int64_t count = index.size(0);
      loss_sum += loss.item<double>() * static_cast<double>(count);
      correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
      seen += count;
      if (callbacks.on_batch) {
        callbacks.on_batch(b + 1, loss_sum / static_cast<double>(seen),
                           static_cast<double>(correct) / static_cast<double>(seen));
      }
    }
    EpochMetrics metrics;
    metrics.epoch = epoch;
    metrics.lr = lr;
    metrics.train_loss = loss_sum / static_cast<double>(seen);
    metrics.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    if (callbacks.on_progress) callbacks.on_progress(static_cast<double>(epoch) / static_cast<double>(options_.epochs));
    metrics.test = evaluate(test);
    metrics.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    history_.push_back(metrics);
    if (callbacks.on_epoch_end) callbacks.on_epoch_end(metrics);
    if (callbacks.should_stop && callbacks.should_stop()) break;
  }
  return history_;
}

Evaluation Trainer::evaluate(const LabeledTensors& data) {
  torch::NoGradGuard no_grad;
  bool was_training = model_->is_training();
  model_->eval();
  Evaluation result;
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < data.size(); start += options_.eval_batch_size) {
    int64_t count = std::min(options_.eval_batch_size, data.size() - start);
    auto images = data.images.narrow(0, start, count).to(device_);
    auto labels = data.labels.narrow(0, start, count).to(device_);
    auto logits = model_->forward(images);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
  }
  model_->train(was_training);
  result.samples = data.size();
  if (result.samples > 0) {
    result.loss = loss_sum / static_cast<double>(result.samples);
    result.accuracy = static_cast<double>(correct) / static_cast<double>(result.samples);
  }
  return result;
}

}  // namespace bitlab::train
