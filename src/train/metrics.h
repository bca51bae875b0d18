#pragma once
// What a training run measures, per epoch and in total; serialised to metrics.json.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace bitlab::train {

struct Evaluation {
  double loss = 0;
  double accuracy = 0;  // fraction in [0, 1]
  int64_t samples = 0;
};

struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  double lr = 0;
  double train_loss = 0;
  double train_accuracy = 0;
  Evaluation test;
  double seconds = 0;  // training + evaluation of this epoch
};

nlohmann::json to_json(const Evaluation& e);
nlohmann::json to_json(const EpochMetrics& m);
nlohmann::json to_json(const std::vector<EpochMetrics>& history);
EpochMetrics epoch_metrics_from_json(const nlohmann::json& j);

}  // namespace bitlab::train
