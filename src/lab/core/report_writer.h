#pragma once
// Renders a Report (report.h) for people: report.md (tables, with the plots as
// .svg files beside it) and report.html, which is self-contained (inline CSS and
// inline SVG, no scripts, fonts or images fetched from anywhere) so it can be
// mailed or archived as one file.
#include <filesystem>
#include <string>

#include "lab/core/report.h"

namespace bitlab::lab {

std::string report_markdown(const Report& report);
std::string report_html(const Report& report);
// The two plots as standalone SVG documents.
std::string accuracy_vs_bits_svg(const Report& report);
std::string curves_svg(const Report& report);

struct ReportFiles {
  std::filesystem::path markdown, html, bits_plot, curves_plot;
};

// Writes report.md, report.html, accuracy-vs-bits.svg and curves.svg into `dir`
// (created when missing), each atomically.
ReportFiles write_report(const Report& report, const std::filesystem::path& dir);

}  // namespace bitlab::lab
