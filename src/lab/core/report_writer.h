#pragma once
// Renders a Report (report.h) for people: report.md (tables, with the plots as
// .svg files beside it) and report.html, which is self-contained (inline CSS and
// inline SVG, no scripts, fonts or images fetched from anywhere) so it can be
// mailed or archived as one file.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/core/report.h"

namespace bitlab::lab {

std::string report_markdown(const Report& report);
std::string report_html(const Report& report);
// The two plots as standalone SVG documents.
std::string accuracy_vs_bits_svg(const Report& report);
std::string curves_svg(const Report& report);
// The metric against one cost: a point per variant (mean and CI) and the Pareto
// front as a step line through its ringed points.
std::string pareto_svg(const Report& report, const ParetoPlot& plot);
// Every Pareto plot's variants, costs and fronts, for scripts (pareto.json).
nlohmann::json pareto_json(const Report& report);
// "pareto-total_bits.svg"
std::string pareto_plot_file(const ParetoPlot& plot);

struct ReportFiles {
  std::filesystem::path markdown, html, bits_plot, curves_plot, pareto;
  std::vector<std::filesystem::path> pareto_plots;
};

// Writes report.md, report.html, accuracy-vs-bits.svg, curves.svg, pareto.json
// and one pareto-<cost>.svg per cost into `dir` (created when missing), each atomically.
ReportFiles write_report(const Report& report, const std::filesystem::path& dir);

}  // namespace bitlab::lab
