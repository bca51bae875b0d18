#include "search/qat_evaluator.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"
#include "lab/core/config_loader.h"
#include "lab/train_job.h"

namespace bitlab::search {
namespace {

// FNV-1a: a short, stable folder name for a candidate key (which can be long).
std::string short_hash(const std::string& text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace

QatEvaluatorOptions parse_qat_evaluator(const nlohmann::json& section, const std::string& source) {
  JsonReader r(section, source, "/evaluator");
  QatEvaluatorOptions o;
  const nlohmann::json* job = r.raw("job");
  if (job == nullptr || !(job->is_string() || job->is_object()))
    r.fail("job", "the train config trials start from: a path (e.g. \"configs/fmnist-cnn-long.json\") or an object");
  if (job->is_string()) {
    o.job = lab::load_config(job->get<std::string>());
    o.job_source = job->get<std::string>() + " (as the search's evaluator.job)";
  } else {
    o.job = *job;
    o.job_source = source + ": /evaluator/job";
  }
  o.from = r.required_string("from");
  if (!std::filesystem::exists(o.from))
    throw ConfigError(fmt::format("{}: {}: the float checkpoint {} does not exist; train it first (e.g. `bitlab train "
                                  "configs/fmnist-cnn-long.json` writes runs/fmnist-cnn-long/checkpoint.pt)",
                                  source, r.pointer_of("from"), o.from.string()));
  auto set = [&](const char* section_name, const char* key, nlohmann::json value) {
    if (!o.job.contains(section_name) || !o.job[section_name].is_object())
      o.job[section_name] = nlohmann::json::object();
    o.job[section_name][key] = std::move(value);
  };
  if (r.has("train_limit")) set("data", "train_limit", r.integer("train_limit", 0, 0, 1LL << 40));
  if (r.has("test_limit")) set("data", "test_limit", r.integer("test_limit", 0, 0, 1LL << 40));
  if (const nlohmann::json* train = r.raw("train")) {
    if (!train->is_object()) r.fail("train", "an object patching the job's train section (lr, batch_size, ...)");
    if (!o.job.contains("train") || !o.job["train"].is_object()) o.job["train"] = nlohmann::json::object();
    o.job["train"].merge_patch(*train);
  }
  if (const nlohmann::json* calibration = r.raw("calibration")) {
    if (!o.job.contains("quantization") || !o.job["quantization"].is_object())
      o.job["quantization"] = nlohmann::json::object();
    o.job["quantization"]["calibration"] = *calibration;
  }
  o.validation_folds = static_cast<int>(r.integer("validation_folds", o.validation_folds, 2, 100));
  o.split_seed = static_cast<std::uint64_t>(r.integer("split_seed", 0, 0, std::numeric_limits<int64_t>::max()));
  r.finish();
  // The job with the overrides, checked now rather than at the first trial.
  // Its quantization section (calibration, batchnorm) is checked with a
  // stand-in policy: every trial brings its own.
  nlohmann::json check = o.job;
  if (check.contains("quantization") && check["quantization"].is_object()) check["quantization"]["policy"] = "w8a8";
  static_cast<void>(lab::parse_train_config(check, o.job_source));
  return o;
}

std::filesystem::path trial_dir(const QatEvaluatorOptions& options, const SearchSpace& space, const Genes& genes,
                                int budget) {
  return options.trials_dir / fmt::format("{}-e{}", short_hash(canonical_key(space, genes)), budget);
}

namespace {

// The train job of one evaluation: the evaluator's job with `policy`,
// quantization.from, `budget` epochs and its own folder.
lab::TrainJobConfig policy_job(const QatEvaluatorOptions& options, const nlohmann::json& policy, int budget,
                               const std::filesystem::path& dir, const std::string& name,
                               const std::string& description) {
  nlohmann::json json = options.job;
  nlohmann::json quantization =
      json.contains("quantization") && json["quantization"].is_object() ? json["quantization"] : nlohmann::json::object();
  quantization.erase("algorithm");  // the policy's algorithm applies
  quantization["policy"] = policy;
  quantization["from"] = options.from.string();
  json["quantization"] = quantization;
  if (!json.contains("train") || !json["train"].is_object()) json["train"] = nlohmann::json::object();
  json["train"]["epochs"] = budget;
  json["output"] = {{"dir", dir.string()}};
  json["name"] = name;
  return lab::parse_train_config(json, options.job_source + " (" + description + ")");
}

// `continue_from`: a shorter trial's checkpoint this one continues (Hyperband).
Evaluation run_trial(const QatEvaluatorOptions& options, const lab::TrainJobConfig& job,
                     const std::filesystem::path& continue_from = {}) {
  std::filesystem::create_directories(job.output_dir);
  lab::TrainJobOptions run;
  run.resume = true;  // a trial killed mid-way continues from its last finished epoch
  // Until the trial's own first checkpoint exists; after that, resume wins, so a
  // continued trial killed mid-way resumes from its own folder.
  run.continue_from = continue_from;
  run.progress = options.progress;
  run.fold = lab::FoldAssignment{0, options.validation_folds, options.split_seed};
  const lab::TrainJobResult result = lab::run_train_job(job, run);
  if (result.validation.empty())
    throw std::logic_error("QatEvaluator: the train job finished without a validation evaluation");
  Evaluation e;
  e.accuracy = result.validation.back().accuracy;
  e.seconds = result.seconds;
  return e;
}

}  // namespace

lab::TrainJobConfig trial_job(const QatEvaluatorOptions& options, const SearchSpace& space, const Genes& genes,
                              int budget) {
  const std::string key = canonical_key(space, genes);
  return policy_job(options, to_policy_json(space, genes), budget, trial_dir(options, space, genes, budget),
                    fmt::format("search-{}-e{}", short_hash(key), budget), "search trial " + key);
}

Evaluation QatEvaluator::evaluate(const SearchSpace& space, const Genes& genes, int budget) {
  return run_trial(options_, trial_job(options_, space, genes, budget));
}

Evaluation QatEvaluator::evaluate_continued(const SearchSpace& space, const Genes& genes, int from_budget,
                                            int budget) {
  return run_trial(options_, trial_job(options_, space, genes, budget),
                   trial_dir(options_, space, genes, from_budget) / "checkpoint.pt");
}

Evaluation QatEvaluator::evaluate_policy(const nlohmann::json& policy, const std::string& key, int budget) {
  const std::string folder = fmt::format("{}-e{}", key, budget);
  return run_trial(options_, policy_job(options_, policy, budget, options_.trials_dir / folder, "search-" + folder,
                                        "reference " + key));
}

}  // namespace bitlab::search
