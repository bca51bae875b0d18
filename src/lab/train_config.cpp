#include "lab/train_config.h"

#include "common/json_reader.h"
#include "lab/core/config_loader.h"
#include "train/quantizers/catalog.h"
#include "zoo/network_names.h"

namespace bitlab::lab {
namespace {

constexpr int64_t kMaxSamples = 1'000'000'000;

DataConfig parse_data(const JsonReader& r) {
  DataConfig d;
  d.dataset = r.choice("dataset", d.dataset, {"fashion_mnist"});
  d.root = r.string("root", d.root);
  d.train_limit = r.integer("train_limit", d.train_limit, 0, kMaxSamples);
  d.test_limit = r.integer("test_limit", d.test_limit, 0, kMaxSamples);
  r.finish();
  return d;
}

ModelConfig parse_model(const JsonReader& r) {
  ModelConfig m;
  std::vector<std::string> archs{"fmnist_cnn"};
  for (const auto& n : zoo::kNetworks) archs.emplace_back(n.name);
  m.arch = r.choice("arch", m.arch, archs);
  auto& c = m.cnn;
  c.channels = r.integers("channels", c.channels, 1, 4096, 1, 4);
  c.convs_per_block = r.integer("convs_per_block", c.convs_per_block, 1, 8);
  c.hidden = r.integer("hidden", c.hidden, 0, 65536);
  c.dropout = r.number("dropout", c.dropout, 0.0, 0.95);
  r.finish();
  return m;
}

train::TrainerOptions parse_train(const JsonReader& r) {
  train::TrainerOptions t;
  t.epochs = r.integer("epochs", t.epochs, 1, 100000);
  t.batch_size = r.integer("batch_size", t.batch_size, 1, 65536);
  t.eval_batch_size = r.integer("eval_batch_size", t.eval_batch_size, 1, 65536);
  t.optimizer = r.choice("optimizer", t.optimizer, {"sgd", "adam", "adamw"});
  t.lr = r.number("lr", t.lr, 1e-8, 10.0);
  t.momentum = r.number("momentum", t.momentum, 0.0, 0.999);
  t.nesterov = r.boolean("nesterov", t.nesterov);
  t.weight_decay = r.number("weight_decay", t.weight_decay, 0.0, 1.0);
  t.schedule = r.choice("schedule", t.schedule, {"cosine", "step", "constant"});
  t.step_epochs = r.integer("step_epochs", t.step_epochs, 1, 100000);
  t.step_gamma = r.number("step_gamma", t.step_gamma, 1e-6, 1.0);
  t.warmup_epochs = r.integer("warmup_epochs", t.warmup_epochs, 0, 1000);
  if (t.warmup_epochs >= t.epochs && r.has("warmup_epochs")) {
    r.fail("warmup_epochs", "fewer warm-up epochs than train.epochs");
  }
  t.augment = r.boolean("augment", t.augment);
  t.shift_pixels = r.integer("shift_pixels", t.shift_pixels, 0, 8);
  t.seed = static_cast<uint64_t>(r.integer("seed", static_cast<int64_t>(t.seed), 0, (int64_t{1} << 53)));
  t.device = r.string("device", t.device);
  if (t.device != "cpu" && t.device.rfind("cuda", 0) != 0) r.fail("device", "\"cpu\", \"cuda\" or \"cuda:N\"");
  r.finish();
  return t;
}

CalibrationConfig parse_calibration(const JsonReader& r) {
  CalibrationConfig c;
  c.method = r.choice("method", c.method, {"minmax", "ema", "percentile", "mse"});
  c.batches = r.integer("batches", c.batches, 1, 100000);
  c.percentile = r.number("percentile", c.percentile, 50.0, 100.0);
  r.finish();
  return c;
}

// "policy" is a shorthand ("w4a4"), a path to a policy file, or an inline object.
train::PrecisionPolicy parse_policy_field(const JsonReader& r) {
  const nlohmann::json* v = r.raw("policy");
  if (!v) r.fail("policy", "a shorthand like \"w4a4\", a policy file path, or a policy object");
  if (v->is_string()) {
    std::string text = v->get<std::string>();
    if (text.size() > 5 && text.substr(text.size() - 5) == ".json") return train::load_policy(text);
    return train::parse_policy(*v, r.file() + ": " + r.pointer_of("policy"));
  }
  if (!v->is_object()) r.fail("policy", "a shorthand like \"w4a4\", a policy file path, or a policy object");
  return train::parse_policy(*v, r.file() + ": " + r.pointer_of("policy"));
}

QuantizationConfig parse_quantization(const JsonReader& r) {
  QuantizationConfig q;
  q.enabled = true;
  q.policy = parse_policy_field(r);
  if (r.has("algorithm")) {
    q.policy.algorithm = r.choice("algorithm", q.policy.algorithm, train::quantizer_algorithms());
  }
  q.init = r.choice("init", q.init, {"ptq", "float"});
  q.from = r.string("from", q.from);
  q.batchnorm = r.choice("batchnorm", q.batchnorm, {"fold", "train", "keep"});
  // Configs and checkpoints written before "batchnorm" existed say fold_bn.
  if (r.has("fold_bn")) {
    if (r.has("batchnorm")) r.fail("fold_bn", "fold_bn to be absent next to batchnorm (its old spelling)");
    q.batchnorm = r.boolean("fold_bn", true) ? "fold" : "keep";
  }
  q.batchnorm_freeze = r.number("batchnorm_freeze", q.batchnorm_freeze, 0.0, 1.0);
  if (r.has("batchnorm_freeze") && q.batchnorm != "train") {
    r.fail("batchnorm_freeze", "batchnorm_freeze only with batchnorm \"train\"");
  }
  if (auto c = r.optional_object("calibration")) q.calibration = parse_calibration(*c);
  r.finish();
  return q;
}

}  // namespace

TrainJobConfig parse_train_config(const nlohmann::json& json, const std::string& file_name) {
  JsonReader root(json, file_name);
  TrainJobConfig c;
  c.name = root.string("name", c.name);
  if (c.name.empty()) root.fail("name", "a non-empty string");
  c.output_dir = "runs/" + c.name;
  if (auto data = root.optional_object("data")) c.data = parse_data(*data);
  if (auto model = root.optional_object("model")) c.model = parse_model(*model);
  if (auto train = root.optional_object("train")) c.train = parse_train(*train);
  if (auto quantization = root.optional_object("quantization")) c.quantization = parse_quantization(*quantization);
  if (auto output = root.optional_object("output")) {
    c.output_dir = output->string("dir", c.output_dir);
    output->finish();
  }
  root.finish();
  return c;
}

TrainJobConfig load_train_config(const std::filesystem::path& path) {
  // Through the lab's loader, so a config may build on another with "extends".
  return parse_train_config(load_config(path), path.string());
}

nlohmann::json to_json(const TrainJobConfig& c) {
  const auto& t = c.train;
  const auto& m = c.model.cnn;
  nlohmann::json j = {
      {"name", c.name},
      {"data",
       {{"dataset", c.data.dataset}, {"root", c.data.root}, {"train_limit", c.data.train_limit},
        {"test_limit", c.data.test_limit}}},
      {"model",
       {{"arch", c.model.arch}, {"channels", m.channels}, {"convs_per_block", m.convs_per_block},
        {"hidden", m.hidden}, {"dropout", m.dropout}}},
      {"train",
       {{"epochs", t.epochs}, {"batch_size", t.batch_size}, {"eval_batch_size", t.eval_batch_size},
        {"optimizer", t.optimizer}, {"lr", t.lr}, {"momentum", t.momentum}, {"nesterov", t.nesterov},
        {"weight_decay", t.weight_decay}, {"schedule", t.schedule}, {"step_epochs", t.step_epochs},
        {"step_gamma", t.step_gamma}, {"warmup_epochs", t.warmup_epochs}, {"augment", t.augment}, {"shift_pixels", t.shift_pixels},
        {"seed", t.seed}, {"device", t.device}}},
      {"output", {{"dir", c.output_dir}}},
  };
  if (c.quantization.enabled) {
    const auto& q = c.quantization;
    j["quantization"] = {{"policy", train::to_json(q.policy)},
                         {"init", q.init},
                         {"from", q.from},
                         {"batchnorm", q.batchnorm},
                         {"calibration",
                          {{"method", q.calibration.method},
                           {"batches", q.calibration.batches},
                           {"percentile", q.calibration.percentile}}}};
    if (q.batchnorm == "train") j["quantization"]["batchnorm_freeze"] = q.batchnorm_freeze;
  }
  return j;
}

}  // namespace bitlab::lab
