#include "lab/core/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "common/text.h"
#include "lab/core/comparison.h"
#include "lab/core/expand.h"
#include "lab/core/pareto.h"

namespace bitlab::lab {
namespace {

// Bit widths a float run is drawn at, so it sits to the right of every integer width.
constexpr double kFloatBits = 32;

std::optional<std::string> single_differing_factor(const std::vector<LevelChoice>& a,
                                                   const std::vector<LevelChoice>& b) {
  if (a.size() != b.size()) return std::nullopt;
  std::optional<std::string> factor;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].factor != b[i].factor) return std::nullopt;
    if (a[i].level == b[i].level) continue;
    if (factor) return std::nullopt;
    factor = a[i].factor;
  }
  return factor;
}

ComparisonRow compare(const std::vector<MetricValue>& values, const VariantRow& a, const VariantRow& b,
                      double confidence) {
  ComparisonRow row;
  row.a = a.variant;
  row.b = b.variant;
  row.factor = single_differing_factor(a.levels, b.levels).value_or("");
  PairedSamples pairs = pair_by_seed_and_fold(values, a.variant, b.variant);
  row.pairs = pairs.a.size();
  row.unpaired = pairs.unpaired_runs.size();
  if (row.pairs >= 2) row.t_test = paired_t_test(pairs.a, pairs.b, confidence);
  if (row.pairs >= 1) row.wilcoxon = wilcoxon_signed_rank(pairs.a, pairs.b);
  return row;
}

// Factors whose level alone decides the weight bits (e.g. "bits": w8 → 8).
std::set<std::string> bit_factors(const std::vector<VariantRow>& variants) {
  std::map<std::string, std::map<std::string, std::set<double>>> bits_by_level;
  for (const auto& v : variants) {
    if (!v.weight_bits) continue;
    for (const auto& l : v.levels) bits_by_level[l.factor][l.level].insert(*v.weight_bits);
  }
  std::set<std::string> factors;
  for (const auto& [factor, levels] : bits_by_level) {
    std::set<double> all;
    bool decides = true;
    for (const auto& [level, bits] : levels) {
      decides = decides && bits.size() == 1;
      all.insert(bits.begin(), bits.end());
    }
    if (decides && all.size() > 1) factors.insert(factor);
  }
  return factors;
}

void add_bits_plot(Report& report) {
  bool any_quantised = std::any_of(report.variants.begin(), report.variants.end(),
                                   [](const VariantRow& v) { return v.weight_bits.has_value(); });
  if (!any_quantised) return;
  std::set<std::string> bit_factor_names = bit_factors(report.variants);
  std::map<std::string, size_t> series_index;
  std::set<double> xs;
  for (const auto& v : report.variants) {
    if (v.summary.n == 0) continue;
    std::vector<LevelChoice> rest;
    for (const auto& l : v.levels) {
      if (!bit_factor_names.count(l.factor)) rest.push_back(l);
    }
    std::string name = rest.empty() ? report.metric : variant_name(rest);
    auto [it, inserted] = series_index.emplace(name, report.accuracy_vs_bits.size());
    if (inserted) report.accuracy_vs_bits.push_back({name, {}});
    double x = v.weight_bits.value_or(kFloatBits);
    xs.insert(x);
    report.accuracy_vs_bits[it->second].points.push_back(
        {x, v.summary.mean, v.summary.ci_low, v.summary.ci_high});
  }
  for (auto& s : report.accuracy_vs_bits) {
    std::sort(s.points.begin(), s.points.end(), [](const PlotPoint& p, const PlotPoint& q) { return p.x < q.x; });
  }
  bool has_float = std::any_of(report.variants.begin(), report.variants.end(), [](const VariantRow& v) {
    return v.summary.n > 0 && !v.weight_bits;
  });
  for (double x : xs) {
    std::string label = fmt::format("{:g}", x);
    if (x == kFloatBits && has_float) label = "float";
    report.bits_ticks.push_back({x, label});
  }
}

void add_curves(Report& report, const std::vector<RunRecord>& records) {
  auto has_curve = [&](const std::string& name) {
    return std::any_of(records.begin(), records.end(),
                       [&](const RunRecord& r) { return r.results.curves.count(name) > 0; });
  };
  report.curve_name = has_curve(report.metric) ? report.metric : "test_accuracy";
  for (const auto& v : report.variants) {
    std::vector<double> sum;
    std::vector<size_t> count;
    for (const auto& r : records) {
      if (r.run.variant != v.variant || r.status != RunStatus::done) continue;
      auto curve = r.results.curves.find(report.curve_name);
      if (curve == r.results.curves.end()) continue;
      for (size_t e = 0; e < curve->second.size(); ++e) {
        if (e >= sum.size()) {
          sum.resize(e + 1, 0.0);
          count.resize(e + 1, 0);
        }
        if (!std::isfinite(curve->second[e])) continue;
        sum[e] += curve->second[e];
        ++count[e];
      }
    }
    if (sum.empty()) continue;
    PlotSeries series{v.variant, {}};
    for (size_t e = 0; e < sum.size(); ++e) {
      if (count[e] > 0) series.points.push_back({static_cast<double>(e + 1), sum[e] / static_cast<double>(count[e])});
    }
    report.curves.push_back(std::move(series));
  }
}

// Means per variant of one metric over its done runs.
std::map<std::string, double> means_by_variant(const std::vector<MetricValue>& values) {
  std::map<std::string, std::pair<double, size_t>> sums;
  for (const auto& v : values) {
    auto& [sum, n] = sums[v.variant];
    sum += v.value;
    ++n;
  }
  std::map<std::string, double> means;
  for (const auto& [variant, sum_n] : sums) means[variant] = sum_n.first / static_cast<double>(sum_n.second);
  return means;
}

void add_pareto(Report& report, ResultsStore& store, const std::vector<CostMetric>& costs) {
  for (const auto& cost : costs) {
    std::map<std::string, double> cost_of = means_by_variant(store.metric(cost.name));
    ParetoPlot plot{cost, {}, {}};
    std::vector<ParetoPoint> points;
    for (const auto& v : report.variants) {
      auto c = cost_of.find(v.variant);
      if (v.summary.n == 0 || c == cost_of.end()) continue;
      plot.variants.push_back({v.variant, v.summary, c->second, false});
      double value = report.higher_is_better ? v.summary.mean : -v.summary.mean;
      points.push_back({value, c->second});
    }
    if (plot.variants.empty()) continue;
    plot.front = pareto_front(points);
    for (size_t i : plot.front) plot.variants[i].on_front = true;
    report.pareto.push_back(std::move(plot));
  }
}

}  // namespace

std::vector<CostMetric> default_cost_metrics() {
  return {{"total_bits", "total bits (AutoQKeras)"},
          {"weight_memory_bytes", "weight memory (bytes)"},
          {"bops", "BOPs"},
          {"energy_pj", "energy per inference (pJ, Horowitz 45 nm)"},
          {"accelerator_latency", "Sum-Together accelerator latency (tiles)"},
          {"simd_latency_seconds", "SIMD cluster latency (s)"}};
}

Report build_report(ResultsStore& store, const ReportOptions& options) {
  Report report;
  report.store = store.path().string();
  report.metric = options.metric;
  report.higher_is_better = options.metric.find("loss") == std::string::npos;
  report.confidence = options.confidence;
  report.counts = store.counts();

  std::vector<RunRecord> records = store.runs();
  std::vector<MetricValue> values = store.metric(options.metric);
  auto summaries = summarize_by_variant(values, options.confidence);
  std::map<std::string, double> bits;
  for (const auto& b : store.metric("weight_bits")) bits[b.variant] = b.value;

  std::set<std::string> seen;
  for (const auto& r : records) {
    if (!seen.insert(r.run.variant).second) continue;
    VariantRow row;
    row.variant = r.run.variant;
    row.levels = r.run.levels;
    auto s = summaries.find(row.variant);
    if (s != summaries.end()) row.summary = s->second;
    auto b = bits.find(row.variant);
    if (b != bits.end()) row.weight_bits = b->second;
    report.variants.push_back(std::move(row));
  }

  auto find_variant = [&](const std::string& name) -> const VariantRow& {
    for (const auto& v : report.variants) {
      if (v.variant == name) return v;
    }
    std::vector<std::string> names;
    for (const auto& v : report.variants) names.push_back(v.variant);
    throw ConfigError(fmt::format("--compare: no variant \"{}\" in {}; variants: {}", name, report.store,
                                  join(names, "; ")));
  };
  if (options.comparisons.empty()) {
    for (size_t i = 0; i < report.variants.size(); ++i) {
      for (size_t j = i + 1; j < report.variants.size(); ++j) {
        if (!single_differing_factor(report.variants[i].levels, report.variants[j].levels)) continue;
        report.comparisons.push_back(compare(values, report.variants[i], report.variants[j], options.confidence));
      }
    }
  } else {
    for (const auto& [a, b] : options.comparisons) {
      report.comparisons.push_back(compare(values, find_variant(a), find_variant(b), options.confidence));
    }
  }
  add_bits_plot(report);
  add_curves(report, records);
  add_pareto(report, store, options.costs);
  return report;
}

VariantPair parse_comparison(const std::string& text, const std::vector<std::string>& variants) {
  std::set<std::string> known(variants.begin(), variants.end());
  std::vector<VariantPair> splits;
  for (size_t comma = text.find(','); comma != std::string::npos; comma = text.find(',', comma + 1)) {
    std::string a = text.substr(0, comma), b = text.substr(comma + 1);
    if (known.count(a) && known.count(b)) splits.push_back({a, b});
  }
  if (splits.size() == 1) return splits.front();
  throw ConfigError(fmt::format("--compare: \"{}\" is not two variants separated by a comma (A,B); "
                                "the variants are: {}",
                                text, join(variants, "; ")));
}

}  // namespace bitlab::lab
