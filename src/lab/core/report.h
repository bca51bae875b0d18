#pragma once
// What `bitlab lab report` shows, computed from a results store: a summary per
// variant, paired comparisons between variants, accuracy against bit width,
// accuracy against each recorded cost with its Pareto front, and mean training
// curves. Rendering (Markdown, HTML, SVG) is in report_writer.h.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lab/core/paired_t_test.h"
#include "lab/core/results_store.h"
#include "lab/core/summary.h"
#include "lab/core/svg_plot.h"
#include "lab/core/wilcoxon.h"

namespace bitlab::lab {

using VariantPair = std::pair<std::string, std::string>;

// A cost the runs record (lab/run_job.h) that the metric is traded against.
struct CostMetric {
  std::string name;   // metric in the store: "total_bits"
  std::string label;  // axis and table label: "total bits (AutoQKeras)"
};

// The costs `bitlab lab run` records, in the order the report shows them.
std::vector<CostMetric> default_cost_metrics();

struct ReportOptions {
  std::string metric = "test_accuracy";
  // Pairs to compare; empty: every pair of variants that differ in exactly one factor.
  std::vector<VariantPair> comparisons;
  double confidence = 0.95;
  // One metric-vs-cost plot and Pareto table per cost some done run recorded;
  // stores written before runs recorded costs simply get none.
  std::vector<CostMetric> costs = default_cost_metrics();
};

struct VariantRow {
  std::string variant;
  std::vector<LevelChoice> levels;
  Summary summary;                   // of the metric over the variant's done runs
  std::optional<double> weight_bits;  // quantised variants (metric "weight_bits")
};

struct ParetoVariant {
  std::string variant;
  Summary summary;    // of the report's metric
  double cost = 0.0;  // mean over the variant's done runs (costs rarely vary by seed)
  bool on_front = false;
};

// The metric against one cost: every variant with done runs that recorded both,
// and the front of those that no other beats in both (best metric, least cost).
struct ParetoPlot {
  CostMetric cost;
  std::vector<ParetoVariant> variants;  // in design order
  std::vector<size_t> front;            // indices into variants, cheapest first
};

struct ComparisonRow {
  std::string a, b;
  std::string factor;  // the one factor they differ in ("" when they differ in more)
  size_t pairs = 0;    // runs matched on (seed, fold)
  size_t unpaired = 0;  // runs of either variant without a partner yet
  std::optional<PairedTTest> t_test;      // needs 2 pairs
  std::optional<WilcoxonTest> wilcoxon;   // needs 1 pair
};

struct Report {
  std::string store;   // the store's path, for the title
  std::string metric;
  // Losses are minimised; every other metric (accuracies) maximised on the Pareto fronts.
  bool higher_is_better = true;
  double confidence = 0.95;
  StatusCounts counts;
  std::vector<VariantRow> variants;  // in design order
  std::vector<ComparisonRow> comparisons;
  // Metric against weight bits, one series per combination of the factors that
  // do not set the bit width; empty when no run was quantised.
  std::vector<PlotSeries> accuracy_vs_bits;
  std::vector<PlotTick> bits_ticks;
  // The metric's per-epoch curve (or test_accuracy's when it has none), mean per variant.
  std::string curve_name;
  std::vector<PlotSeries> curves;
  // One per cost of ReportOptions::costs that some done run recorded.
  std::vector<ParetoPlot> pareto;
};

// Every variant with a registered run appears, with n = 0 until one is done.
Report build_report(ResultsStore& store, const ReportOptions& options = {});

// "--compare A,B": variant names hold commas themselves ("algo=ste,bits=w4"),
// so the text is split at the one comma that leaves two known variants. A
// ConfigError names the option, the text and the known variants otherwise.
VariantPair parse_comparison(const std::string& text, const std::vector<std::string>& variants);

}  // namespace bitlab::lab
