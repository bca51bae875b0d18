#include "lab/core/report_writer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bitlab::lab {
namespace {

// One table for both renderings, so Markdown and HTML can never disagree.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// Accuracies read best as percentages; other metrics (loss, seconds) as they are.
bool is_fraction(const std::string& metric) { return metric.find("accuracy") != std::string::npos; }

std::string value(const Report& r, double v) {
  if (!std::isfinite(v)) return fmt::format("{}", v);
  return is_fraction(r.metric) ? fmt::format("{:.2f} %", 100 * v) : fmt::format("{:.4g}", v);
}

std::string difference(const Report& r, double v) {
  if (!std::isfinite(v)) return fmt::format("{}", v);
  return is_fraction(r.metric) ? fmt::format("{:+.2f} pp", 100 * v) : fmt::format("{:+.4g}", v);
}

std::string p_value(double p) { return p < 1e-4 ? fmt::format("{:.1e}", p) : fmt::format("{:.4f}", p); }

std::string percent_label(double confidence) { return fmt::format("{:g} %", 100 * confidence); }

Table variant_table(const Report& r) {
  Table t{{"variant", "n", "mean ± sd", percent_label(r.confidence) + " CI", "weight bits"}, {}};
  for (const auto& v : r.variants) {
    const Summary& s = v.summary;
    std::string mean = s.n == 0 ? "—" : value(r, s.mean);
    if (s.standard_deviation) mean += " ± " + value(r, *s.standard_deviation);
    std::string ci = s.ci_low && s.ci_high ? fmt::format("[{}, {}]", value(r, *s.ci_low), value(r, *s.ci_high))
                                           : "— (needs 2 runs)";
    if (s.n == 0) ci = "—";
    t.rows.push_back({v.variant, std::to_string(s.n), mean, ci,
                      v.weight_bits ? fmt::format("{:g}", *v.weight_bits) : "float"});
  }
  return t;
}

Table comparison_table(const Report& r) {
  Table t{{"A", "B", "differs in", "pairs", "mean A − B", percent_label(r.confidence) + " CI of A − B", "t",
           "p (paired t)", "W+ / W−", "p (Wilcoxon)"},
          {}};
  for (const auto& c : r.comparisons) {
    std::vector<std::string> row{c.a, c.b, c.factor.empty() ? "several factors" : c.factor,
                                 c.unpaired ? fmt::format("{} ({} unpaired)", c.pairs, c.unpaired)
                                            : std::to_string(c.pairs)};
    if (c.t_test) {
      const auto& tt = *c.t_test;
      row.push_back(difference(r, tt.mean_difference));
      row.push_back(fmt::format("[{}, {}]", difference(r, tt.ci_low), difference(r, tt.ci_high)));
      row.push_back(fmt::format("{:.3f}", tt.t));
      row.push_back(p_value(tt.p_value));
    } else {
      row.insert(row.end(), {"—", "—", "—", "— (needs 2 pairs)"});
    }
    if (c.wilcoxon) {
      const auto& w = *c.wilcoxon;
      row.push_back(fmt::format("{:g} / {:g}", w.w_plus, w.w_minus));
      row.push_back(p_value(w.p_value) +
                    (w.method == WilcoxonMethod::exact ? " (exact)" : " (normal approx.)"));
    } else {
      row.insert(row.end(), {"—", "— (needs 1 pair)"});
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string markdown_table(const Table& t) {
  std::string out = "|";
  // Appended piece by piece: `" " + std::string&&` trips GCC 12's -Wrestrict false positive.
  for (const auto& h : t.header) out.append(" ").append(markdown_cell(h)).append(" |");
  out += "\n|";
  for (size_t i = 0; i < t.header.size(); ++i) out += i == 0 ? "---|" : "---:|";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const auto& cell : row) out.append(" ").append(markdown_cell(cell)).append(" |");
    out += "\n";
  }
  return out;
}

std::string html_table(const Table& t) {
  std::string out = "<table>\n<thead><tr>";
  for (const auto& h : t.header) out += "<th>" + xml_escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (const auto& cell : row) out += "<td>" + xml_escape(cell) + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

std::string status_line(const Report& r) {
  return fmt::format("{} runs: {} done, {} pending, {} running, {} failed.", r.counts.total(), r.counts.done,
                     r.counts.pending, r.counts.running, r.counts.failed);
}

std::string method_note(const Report& r) {
  return fmt::format(
      "Pairs match runs of A and B on the same seed and fold. p-values are two-sided; the paired t-test "
      "assumes roughly normal differences, Wilcoxon's signed-rank test does not (with n pairs its smallest "
      "possible p is 2/2^n). Intervals are {} confidence intervals (Student t).",
      percent_label(r.confidence));
}

std::string cost_value(double v) { return fmt::format("{:.6g}", v); }

Table pareto_table(const Report& r, const ParetoPlot& plot) {
  Table t{{"variant", "n", r.metric + " mean", percent_label(r.confidence) + " CI", plot.cost.label}, {}};
  for (size_t i : plot.front) {
    const ParetoVariant& v = plot.variants[i];
    std::string ci = v.summary.ci_low && v.summary.ci_high
                         ? fmt::format("[{}, {}]", value(r, *v.summary.ci_low), value(r, *v.summary.ci_high))
                         : "— (needs 2 runs)";
    t.rows.push_back({v.variant, std::to_string(v.summary.n), value(r, v.summary.mean), ci, cost_value(v.cost)});
  }
  return t;
}

std::string pareto_note(const Report& r, const ParetoPlot& plot) {
  return fmt::format(
      "The front holds the {} of {} variants that no other variant beats in both mean {} ({} is better) and {} "
      "(lower is better), cheapest first. It compares means: overlapping confidence intervals of neighbours on "
      "the front mean the extra cost buys no clear gain.",
      plot.front.size(), plot.variants.size(), r.metric, r.higher_is_better ? "higher" : "lower", plot.cost.label);
}

}  // namespace

std::string pareto_plot_file(const ParetoPlot& plot) { return "pareto-" + plot.cost.name + ".svg"; }

std::string pareto_svg(const Report& r, const ParetoPlot& plot) {
  std::vector<PlotSeries> series;
  for (const auto& v : plot.variants) {
    series.push_back({v.variant, {{v.cost, v.summary.mean, v.summary.ci_low, v.summary.ci_high}}, SeriesLine::none});
  }
  PlotSeries front{"Pareto front", {}, SeriesLine::steps, true};
  for (size_t i : plot.front) front.points.push_back({plot.variants[i].cost, plot.variants[i].summary.mean});
  series.push_back(std::move(front));
  PlotOptions options;
  options.title = r.metric + " vs " + plot.cost.label + " (mean, " + percent_label(r.confidence) + " CI)";
  options.x_label = plot.cost.label;
  options.y_label = r.metric;
  // Tall enough for one legend line per series beside the plot.
  options.height = std::max(options.height, 100 + 18 * static_cast<int>(series.size()));
  return render_line_plot(series, options);
}

nlohmann::json pareto_json(const Report& r) {
  nlohmann::json costs = nlohmann::json::array();
  for (const auto& plot : r.pareto) {
    nlohmann::json variants = nlohmann::json::array();
    for (const auto& v : plot.variants) {
      variants.push_back({{"variant", v.variant},
                          {"n", v.summary.n},
                          {"mean", v.summary.mean},
                          {"ci_low", v.summary.ci_low ? nlohmann::json(*v.summary.ci_low) : nullptr},
                          {"ci_high", v.summary.ci_high ? nlohmann::json(*v.summary.ci_high) : nullptr},
                          {"cost", v.cost},
                          {"on_front", v.on_front}});
    }
    nlohmann::json front = nlohmann::json::array();
    for (size_t i : plot.front) front.push_back(plot.variants[i].variant);
    costs.push_back({{"cost", plot.cost.name}, {"label", plot.cost.label}, {"front", front}, {"variants", variants}});
  }
  return {{"store", r.store},
          {"metric", r.metric},
          {"higher_is_better", r.higher_is_better},
          {"confidence", r.confidence},
          {"costs", costs}};
}

std::string accuracy_vs_bits_svg(const Report& r) {
  PlotOptions options;
  options.title = r.metric + " vs weight bits (mean, " + percent_label(r.confidence) + " CI)";
  options.x_label = "weight bits";
  options.y_label = r.metric;
  options.x_scale = AxisScale::log2;
  options.x_ticks = r.bits_ticks;
  return render_line_plot(r.accuracy_vs_bits, options);
}

std::string curves_svg(const Report& r) {
  PlotOptions options;
  options.title = r.curve_name + " per epoch (mean over runs)";
  options.x_label = "epoch";
  options.y_label = r.curve_name;
  // Integer epochs only: fractional ticks would suggest half epochs.
  size_t epochs = 0;
  for (const auto& s : r.curves) epochs = std::max(epochs, s.points.size());
  size_t step = std::max<size_t>(1, (epochs + 9) / 10);
  for (size_t e = 1; e <= epochs; e += step) options.x_ticks.push_back({static_cast<double>(e), std::to_string(e)});
  return render_line_plot(r.curves, options);
}

std::string report_markdown(const Report& r) {
  std::string md = fmt::format("# Experiment report: {}\n\n{}\n\n", r.store, status_line(r));
  md += fmt::format("## {} per variant\n\n{}\n", r.metric, markdown_table(variant_table(r)));
  md += "## Paired comparisons\n\n";
  md += r.comparisons.empty() ? "No two variants differ in exactly one factor; choose pairs with --compare A,B.\n\n"
                              : markdown_table(comparison_table(r)) + "\n" + method_note(r) + "\n\n";
  if (!r.accuracy_vs_bits.empty()) {
    md += fmt::format("## {} vs weight bits\n\n![{} vs weight bits](accuracy-vs-bits.svg)\n\n", r.metric, r.metric);
  }
  if (!r.pareto.empty()) {
    md += fmt::format("## {} vs cost: Pareto fronts\n\n", r.metric);
    for (const auto& plot : r.pareto) {
      md += fmt::format("### {} vs {}\n\n![{} vs {}]({})\n\n{}\n{}\n\n", r.metric, plot.cost.label, r.metric,
                        plot.cost.label, pareto_plot_file(plot), markdown_table(pareto_table(r, plot)),
                        pareto_note(r, plot));
    }
  }
  md += fmt::format("## Training curves\n\n![{} per epoch](curves.svg)\n", r.curve_name);
  return md;
}

std::string report_html(const Report& r) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
      xml_escape("Experiment report: " + r.store) +
      "</title>\n<style>\n"
      "body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}\n"
      "table{border-collapse:collapse;margin:1em 0}\n"
      "th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}\n"
      "th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}\n"
      "th{background:#f3f3f3}\n.note{color:#555;font-size:90%}\n"
      "</style>\n</head>\n<body>\n";
  html += "<h1>" + xml_escape("Experiment report: " + r.store) + "</h1>\n";
  html += "<p>" + xml_escape(status_line(r)) + "</p>\n";
  html += "<h2>" + xml_escape(r.metric) + " per variant</h2>\n" + html_table(variant_table(r));
  html += "<h2>Paired comparisons</h2>\n";
  if (r.comparisons.empty()) {
    html += "<p>No two variants differ in exactly one factor; choose pairs with --compare A,B.</p>\n";
  } else {
    html += html_table(comparison_table(r)) + "<p class=\"note\">" + xml_escape(method_note(r)) + "</p>\n";
  }
  if (!r.accuracy_vs_bits.empty()) {
    html += "<h2>" + xml_escape(r.metric) + " vs weight bits</h2>\n" + accuracy_vs_bits_svg(r);
  }
  if (!r.pareto.empty()) {
    html += "<h2>" + xml_escape(r.metric + " vs cost: Pareto fronts") + "</h2>\n";
    for (const auto& plot : r.pareto) {
      html += "<h3>" + xml_escape(r.metric + " vs " + plot.cost.label) + "</h3>\n" + pareto_svg(r, plot) +
              html_table(pareto_table(r, plot)) + "<p class=\"note\">" + xml_escape(pareto_note(r, plot)) + "</p>\n";
    }
  }
  html += "<h2>Training curves</h2>\n" + curves_svg(r);
  html += "</body>\n</html>\n";
  return html;
}

ReportFiles write_report(const Report& report, const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    throw IoError(fmt::format("{}: cannot create the report folder ({}); choose another with --out",
                              dir.string(), error.message()));
  }
  ReportFiles files{dir / "report.md",  dir / "report.html",  dir / "accuracy-vs-bits.svg",
                    dir / "curves.svg", dir / "pareto.json", {}};
  write_file_atomically(files.markdown, report_markdown(report));
  write_file_atomically(files.html, report_html(report));
  if (!report.accuracy_vs_bits.empty()) write_file_atomically(files.bits_plot, accuracy_vs_bits_svg(report));
  write_file_atomically(files.curves_plot, curves_svg(report));
  write_file_atomically(files.pareto, pareto_json(report).dump(2) + "\n");
  for (const auto& plot : report.pareto) {
    files.pareto_plots.push_back(dir / pareto_plot_file(plot));
    write_file_atomically(files.pareto_plots.back(), pareto_svg(report, plot));
  }
  return files;
}

}  // namespace bitlab::lab
