// `bitlab search CONFIG.json`: mixed-precision search (docs/search.md): short
// QAT trials scored on a held-out fold, costs from the traced network, and the
// Pareto front and chosen policy at the end. A rerun continues a killed search.
#include <cstdio>
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/commands.h"
#include "common/error.h"
#include "common/atomic_file.h"
#include "common/json_reader.h"
#include "search/bayesian_bits_search.h"
#include "search/core/bayesian_bits.h"
#include "search/core/run_search.h"
#include "search/core/search_config.h"
#include "search/hessian_trace.h"
#include "search/qat_evaluator.h"
#include "search/traced_costs.h"

namespace bitlab::apps {
namespace {

struct SearchArgs {
  std::string config;
  std::string output_dir;
  bool quiet = false;
  bool trial_progress = false;
};

// One column per goal of a front.json entry (a trial or a flat reference).
std::string metric_cells(const nlohmann::json& goals, const nlohmann::json& entry) {
  std::string cells;
  for (const auto& g : goals) {
    const std::string metric = g.at("metric").get<std::string>();
    const double v = metric == "accuracy" ? entry.at("accuracy").get<double>() : entry.at("costs").value(metric, 0.0);
    cells += metric == "accuracy" ? fmt::format(" | {:>13.2f}%", 100 * v) : fmt::format(" | {:>14.4g}", v);
  }
  return cells;
}

void print_front(const std::filesystem::path& front_path) {
  std::ifstream in(front_path);
  if (!in) return;
  const auto front = nlohmann::json::parse(in);
  const auto& goals = front.at("objectives");
  fmt::print("\nPareto front ({} trials):\n", front.at("trials").size());
  std::string header = fmt::format("{:>6}", "trial");
  for (const auto& g : goals) header += fmt::format(" | {:>14}", g.at("metric").get<std::string>());
  fmt::print("{} | {:>8} | candidate\n", header, "score");
  for (const auto& t : front.at("trials")) {
    fmt::print("{:>6}{} | {:>8.4f} | {}\n", t.at("index").get<int>(), metric_cells(goals, t), t.at("score").get<double>(),
               t.at("key").get<std::string>());
  }
  if (!front.contains("references")) return;
  fmt::print("\nflat references (same evaluator and budget):\n");
  for (const auto& r : front.at("references"))
    fmt::print("{:>6}{}\n", r.at("label").get<std::string>(), metric_cells(goals, r));
}

// `"strategy": {"name": "hawq", "sensitivity": "hessian", "hessian_samples": 32,
// "hessian_images": 256}`: the sensitivity table is computed from the float
// checkpoint's Hessian traces (docs/search.md §7.4) and put in its place.
nlohmann::json resolve_hessian_sensitivity(nlohmann::json json, const std::string& source) {
  if (!json.contains("strategy") || !json["strategy"].is_object()) return json;
  auto& strategy = json["strategy"];
  if (strategy.value("name", "") != "hawq" || !strategy.contains("sensitivity") ||
      strategy["sensitivity"] != "hessian")
    return json;
  search::HutchinsonOptions hutchinson;
  int images = 256;
  JsonReader r(strategy, source, "/strategy");
  hutchinson.samples = static_cast<int>(r.integer("hessian_samples", hutchinson.samples, 1, 100000));
  images = static_cast<int>(r.integer("hessian_images", images, 1, 1000000));
  // The search's seed draws the probes, so a rerun rebuilds the same table.
  if (json.contains("seed") && json["seed"].is_number_unsigned()) hutchinson.seed = json["seed"].get<std::uint64_t>();
  if (!json.contains("space")) throw ConfigError(fmt::format("{}: /space: missing", source));
  if (!json.contains("evaluator"))
    throw ConfigError(fmt::format("{}: /evaluator: \"hessian\" sensitivity needs the evaluator's job and from", source));
  const search::SearchSpace space = search::parse_space(json["space"], source, "/space");
  const auto evaluator = search::parse_qat_evaluator(json["evaluator"], source);
  fmt::print("computing Hessian traces ({} probes on {} images)\n", hutchinson.samples, images);
  strategy["sensitivity"] = search::hessian_sensitivity(evaluator, space, images, hutchinson, source);
  strategy.erase("hessian_samples");
  strategy.erase("hessian_images");
  return json;
}

// `"strategy": {"name": "bayesian_bits", "lambda": ...}` without "widths": the
// gates are trained once per λ (docs/search.md §4.8) and their widths handed to
// the strategy; OUTPUT/bayesian_bits.json keeps them, so a rerun retrains nothing.
void resolve_bayesian_bits(search::SearchConfig& config, const search::QatEvaluatorOptions& evaluator, bool progress) {
  if (config.strategy != "bayesian_bits" || config.strategy_options.contains("widths")) return;
  const auto strategy = search::make_strategy(config);
  const auto& options = dynamic_cast<const search::BayesianBits&>(*strategy).options();
  const std::filesystem::path cache_path = config.output / "bayesian_bits.json";
  nlohmann::json cache = nlohmann::json::object();
  if (std::filesystem::exists(cache_path)) cache = JsonReader::parse_file(cache_path);
  nlohmann::json widths = nlohmann::json::array();
  for (const double lambda : options.lambdas) {
    const std::string key = search::bayesian_bits_key(options, lambda);
    if (!cache.contains(key)) {
      fmt::print("training Bayesian Bits gates (lambda {:g}, {} epochs)\n", lambda, options.epochs);
      std::fflush(stdout);
      cache[key] = search::train_bayesian_bits_gates(evaluator, config.space, options, lambda, progress);
      std::filesystem::create_directories(config.output);
      write_file_atomically(cache_path, cache.dump(2) + "\n");
    }
    fmt::print("lambda {:g}: {}\n", lambda, cache[key].dump());
    widths.push_back(cache[key]);
  }
  config.strategy_options["widths"] = widths;
}

int run_search_command(const SearchArgs& args) {
  search::SearchConfig config = search::parse_search_config(
      resolve_hessian_sensitivity(JsonReader::parse_file(args.config), args.config), args.config);
  if (!args.output_dir.empty()) config.output = args.output_dir;
  search::QatEvaluatorOptions evaluator_options = search::parse_qat_evaluator(config.evaluator, config.source);
  evaluator_options.trials_dir = config.output / "trials";
  evaluator_options.progress = args.trial_progress;
  auto cost_options = search::parse_cost_options(config.costs, config.source);
  fmt::print("bitlab search: {} ({} knobs, strategy {}, at most {} trials) -> {}\n", config.source,
             config.space.knobs.size(), config.strategy, config.max_trials, config.output.string());
  std::fflush(stdout);  // before the progress bar on stderr
  auto costs = search::make_traced_cost_model(evaluator_options, config.space, std::move(cost_options));
  resolve_bayesian_bits(config, evaluator_options, !args.quiet);
  search::QatEvaluator evaluator(evaluator_options);
  const search::SearchSummary summary = search::run_search(config, evaluator, costs.get(), !args.quiet);
  fmt::print("{} trials requested, {} newly evaluated, {} in the log\n", summary.requests, summary.evaluated,
             summary.logged);
  print_front(config.output / "front.json");
  for (const auto& p : summary.outputs) {
    if (p.filename() == "policy.json") {
      fmt::print("\nchosen policy: {} (trial {}, validation accuracy {:.2f}%)\n", p.string(), summary.best->index,
                 100 * summary.best->evaluation.accuracy);
      fmt::print("train it: bitlab train CONFIG.json with quantization.policy = \"{}\"\n", p.string());
    }
  }
  return 0;
}

}  // namespace

Action add_search_command(CLI::App& app) {
  auto args = std::make_shared<SearchArgs>();
  auto* cmd = app.add_subcommand("search", "Mixed-precision search: per-layer bit widths by short QAT (docs/search.md)");
  cmd->add_option("config", args->config, "Search config (JSON, docs/search.md §6)")->required();
  cmd->add_option("--out", args->output_dir, "Output folder (overrides the config's output)");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress bar");
  cmd->add_flag("--trial-progress", args->trial_progress, "Per-epoch progress bars of each trial's training");
  return [args] { return run_search_command(*args); };
}

}  // namespace bitlab::apps
