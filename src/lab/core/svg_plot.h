#pragma once
// Line plots as standalone SVG text, for reports that must open anywhere without
// external assets (inline in report.html, or as .svg files beside report.md).
// Torch-free and dependency-free on purpose: a report is rendered from the
// results store alone, possibly on a machine without LibTorch.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bitlab::lab {

struct PlotPoint {
  // A constructor rather than aggregate initialisation, so {x, y} needs no empty error bar.
  PlotPoint() = default;
  PlotPoint(double x_value, double y_value, std::optional<double> low = std::nullopt,
            std::optional<double> high = std::nullopt)
      : x(x_value), y(y_value), y_low(low), y_high(high) {}
  double x = 0.0;
  double y = 0.0;
  // An error bar (e.g. a confidence interval) from y_low to y_high.
  std::optional<double> y_low, y_high;
};

// How a series' points are joined.
enum class SeriesLine {
  plot,   // as PlotOptions::lines says
  none,   // markers only (a scatter)
  steps,  // horizontal then vertical segments: a Pareto front, where the best
          // value reachable at a cost holds until the next point's cost
};

struct PlotSeries {
  std::string name;  // legend entry
  std::vector<PlotPoint> points;  // drawn in this order; non-finite coordinates are skipped
  SeriesLine line = SeriesLine::plot;
  bool highlight = false;  // black, ringed, larger markers that stand out over other series
};

enum class AxisScale { linear, log2 };

struct PlotTick {
  double value = 0.0;
  std::string label;
};

struct PlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  int width = 640;
  int height = 400;
  // log2 spaces bit widths 2, 4, 8, 32 evenly.
  AxisScale x_scale = AxisScale::linear;
  // Explicit x ticks (e.g. the bit widths present); empty: chosen from the data.
  std::vector<PlotTick> x_ticks;
  bool lines = true;  // connect each series' points
};

// The plot as one <svg> element (with the SVG namespace, so it is also a valid
// standalone .svg file). All text is XML-escaped. Without any finite point it
// draws the frame and says "no data".
std::string render_line_plot(const std::vector<PlotSeries>& series, const PlotOptions& options);

// & < > " ' as entities, for text and attribute values.
std::string xml_escape(std::string_view text);

// About `target` round tick values (1, 2 or 5 times a power of ten) covering [low, high].
std::vector<double> nice_ticks(double low, double high, int target = 5);

}  // namespace bitlab::lab
