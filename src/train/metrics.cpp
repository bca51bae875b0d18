#include "train/metrics.h"

namespace bitlab::train {

nlohmann::json to_json(const Evaluation& e) {
  return {{"loss", e.loss}, {"accuracy", e.accuracy}, {"samples", e.samples}};
}

nlohmann::json to_json(const EpochMetrics& m) {
  return {{"epoch", m.epoch},
          {"lr", m.lr},
          {"train_loss", m.train_loss},
          {"train_accuracy", m.train_accuracy},
          {"test", to_json(m.test)},
          {"seconds", m.seconds}};
}

nlohmann::json to_json(const std::vector<EpochMetrics>& history) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& m : history) j.push_back(to_json(m));
  return j;
}

EpochMetrics epoch_metrics_from_json(const nlohmann::json& j) {
  EpochMetrics m;
  m.epoch = j.at("epoch").get<int64_t>();
  m.lr = j.at("lr").get<double>();
  m.train_loss = j.at("train_loss").get<double>();
  m.train_accuracy = j.at("train_accuracy").get<double>();
  m.test.loss = j.at("test").at("loss").get<double>();
  m.test.accuracy = j.at("test").at("accuracy").get<double>();
  m.test.samples = j.at("test").at("samples").get<int64_t>();
  m.seconds = j.at("seconds").get<double>();
  return m;
}

}  // namespace bitlab::train
