// `bitlab lab run|status|merge|report`: experiments over designs (docs/lab.md),
// and the hidden `bitlab lab worker` that `lab run` starts.
#include <algorithm>

#include <fmt/format.h>

#include "apps/commands.h"
#include "apps/lab_runner.h"
#include "apps/lab_worker.h"
#include "common/error.h"
#include "lab/core/report.h"
#include "lab/core/report_writer.h"
#include "lab/core/results_store.h"
#include "lab/core/status_table.h"

namespace bitlab::apps {
namespace {

struct LabArgs {
  // run
  std::string design;
  std::string store;
  int workers = 1;
  std::string shard = "1/1";
  bool retry_failed = false;
  // worker
  std::string runs_dir;
  int report_fd = -1;
  // merge
  std::string merge_into;
  std::vector<std::string> merge_from;
  // report
  std::string out;
  std::string metric = "test_accuracy";
  std::vector<std::string> compare;
};

// Reports and status only read: a mistyped --store must not create an empty store.
lab::ResultsStore open_existing(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw IoError(fmt::format("{}: no such results store; pass the --store that `bitlab lab run` used "
                              "(default runs/<design name>/results.db)",
                              path));
  }
  return lab::ResultsStore(path);
}

int run_status(const LabArgs& args) {
  auto store = open_existing(args.store);
  fmt::print("{}\n{}", store.path().string(), lab::format_status(store.runs()));
  return 0;
}

int run_merge(const LabArgs& args) {
  std::vector<std::filesystem::path> sources(args.merge_from.begin(), args.merge_from.end());
  lab::ResultsStore store(args.merge_into);
  lab::MergeReport merged = store.merge_from(sources);
  lab::StatusCounts counts = store.counts();
  fmt::print("merged {} stores into {}: {} runs added, {} updated, {} unchanged; now {} done, {} failed, {} pending\n",
             sources.size(), args.merge_into, merged.added, merged.updated, merged.unchanged, counts.done,
             counts.failed, counts.pending + counts.running);
  return 0;
}

int run_report(const LabArgs& args) {
  auto store = open_existing(args.store);
  lab::ReportOptions options;
  options.metric = args.metric;
  std::vector<std::string> variants;
  for (const auto& record : store.runs()) {
    if (std::find(variants.begin(), variants.end(), record.run.variant) == variants.end()) {
      variants.push_back(record.run.variant);
    }
  }
  for (const auto& text : args.compare) options.comparisons.push_back(lab::parse_comparison(text, variants));
  if (store.metric(options.metric).empty() && store.counts().done > 0) {
    throw ConfigError(fmt::format("--metric: no done run in {} has a metric \"{}\"; bitlab lab run records "
                                  "test_accuracy, test_loss, validation_accuracy, validation_loss, train_seconds and, for "
                                  "quantised runs, the costs of docs/lab.md (total_bits, bops, ...)",
                                  args.store, options.metric));
  }
  lab::Report report = lab::build_report(store, options);
  std::filesystem::path out = args.out.empty() ? std::filesystem::path(args.store).parent_path() / "report"
                                               : std::filesystem::path(args.out);
  lab::ReportFiles files = lab::write_report(report, out);
  fmt::print("{}", lab::report_markdown(report));
  fmt::print("\nreport: {}\n        {}\n", files.markdown.string(), files.html.string());
  return 0;
}

}  // namespace

Action add_lab_command(CLI::App& app) {
  auto args = std::make_shared<LabArgs>();
  auto* lab_cmd = app.add_subcommand("lab", "Experiments: designs of many runs, results store, reports (docs/lab.md)");
  lab_cmd->require_subcommand(1);

  auto* run = lab_cmd->add_subcommand("run", "Train every run of a design in worker processes; rerun to finish a killed one");
  run->add_option("design", args->design, "Experiment design (JSON, docs/lab.md)")->required();
  run->add_option("--store", args->store, "Results store (default runs/<design name>/results.db); runs train beside it");
  run->add_option("--workers", args->workers, "Worker processes, one thread each")->check(CLI::PositiveNumber);
  run->add_option("--shard", args->shard, "Run only shard i of n (i/n), e.g. one per machine; merge the stores after");
  run->add_flag("--retry-failed", args->retry_failed, "Run failed runs again");

  auto* worker = lab_cmd->add_subcommand("worker", "Internal: one worker process of `lab run`");
  worker->group("");  // hidden from --help: users start workers through `lab run`
  worker->add_option("--store", args->store)->required();
  worker->add_option("--runs-dir", args->runs_dir)->required();
  worker->add_option("--shard", args->shard);
  worker->add_option("--report-fd", args->report_fd);

  auto* status = lab_cmd->add_subcommand("status", "Runs per status and per variant");
  status->add_option("--store", args->store, "Results store")->required();

  auto* merge = lab_cmd->add_subcommand("merge", "Merge shard stores into one");
  merge->add_option("out", args->merge_into, "Store to merge into (created when missing)")->required();
  merge->add_option("in", args->merge_from, "Stores to merge from (read only)")->required();

  auto* report = lab_cmd->add_subcommand("report", "Statistics and plots: report.md and a self-contained report.html");
  report->add_option("--store", args->store, "Results store")->required();
  report->add_option("--out", args->out, "Report folder (default: report/ beside the store)");
  report->add_option("--metric", args->metric, "Metric to summarise and compare (default test_accuracy)");
  report->add_option("--compare", args->compare,
                     "Compare variants A,B (repeatable); default: every pair differing in one factor");

  return [args, run, worker, status, merge, report]() -> int {
    if (run->parsed()) {
      LabRunOptions options;
      options.design = args->design;
      if (!args->store.empty()) options.store = args->store;
      options.workers = args->workers;
      options.shard = lab::parse_shard(args->shard);
      options.retry_failed = args->retry_failed;
      return run_lab_design(options);
    }
    if (worker->parsed()) {
      return run_lab_worker({args->store, args->runs_dir, lab::parse_shard(args->shard), args->report_fd});
    }
    if (status->parsed()) return run_status(*args);
    if (merge->parsed()) return run_merge(*args);
    if (report->parsed()) return run_report(*args);
    return 1;
  };
}

}  // namespace bitlab::apps
