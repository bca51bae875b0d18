#include "lab/core/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include <fmt/format.h>

namespace bitlab::lab {
namespace {

// Colour-blind-friendly categorical palette (Okabe & Ito), cycled.
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#F0E442"};

constexpr double kMarginLeft = 64, kMarginRight = 170, kMarginTop = 36, kMarginBottom = 52;

struct Range {
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (!std::isfinite(v)) return;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  bool empty() const { return low > high; }
  // A degenerate range (one value) gets some width so the point lands mid-axis.
  void widen() {
    if (empty()) {
      low = 0;
      high = 1;
    } else if (low == high) {
      double pad = low == 0 ? 0.5 : std::abs(low) * 0.05;
      low -= pad;
      high += pad;
    }
  }
};

std::string number(double v) { return fmt::format("{:.2f}", v); }

std::string tick_label(double v) {
  // Ticks are round numbers; %g drops the float noise (0.30000000000000004).
  return fmt::format("{:.6g}", std::abs(v) < 1e-12 ? 0.0 : v);
}

class Frame {
 public:
  Frame(const PlotOptions& options, Range x, Range y)
      : options_(options), x_(x), y_(y),
        plot_width_(std::max(1.0, options.width - kMarginLeft - kMarginRight)),
        plot_height_(std::max(1.0, options.height - kMarginTop - kMarginBottom)) {}

  double x_value(double x) const { return options_.x_scale == AxisScale::log2 ? std::log2(x) : x; }
  double px(double x) const { return kMarginLeft + (x_value(x) - x_.low) / (x_.high - x_.low) * plot_width_; }
  double py(double y) const { return kMarginTop + (y_.high - y) / (y_.high - y_.low) * plot_height_; }
  double left() const { return kMarginLeft; }
  double right() const { return kMarginLeft + plot_width_; }
  double top() const { return kMarginTop; }
  double bottom() const { return kMarginTop + plot_height_; }
  const Range& y() const { return y_; }

 private:
  const PlotOptions& options_;
  Range x_, y_;  // x_ in scaled units
  double plot_width_, plot_height_;
};

bool usable_x(double x, AxisScale scale) { return std::isfinite(x) && (scale == AxisScale::linear || x > 0); }

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double low, double high, int target) {
  if (!std::isfinite(low) || !std::isfinite(high) || high <= low || target < 1) return {};
  double raw = (high - low) / target;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    step = factor * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  // first + k * step rather than repeated addition, which drifts (0.6000000000000001).
  double first = std::ceil(low / step);
  for (double k = first; k * step <= high + step * 1e-9; k += 1) ticks.push_back(k * step);
  return ticks;
}

std::string render_line_plot(const std::vector<PlotSeries>& series, const PlotOptions& options) {
  Range x, y;
  auto scaled_x = [&](double v) { return options.x_scale == AxisScale::log2 ? std::log2(v) : v; };
  for (const auto& s : series) {
    for (const auto& p : s.points) {
      if (!usable_x(p.x, options.x_scale) || !std::isfinite(p.y)) continue;
      x.add(scaled_x(p.x));
      y.add(p.y);
      if (p.y_low) y.add(*p.y_low);
      if (p.y_high) y.add(*p.y_high);
    }
  }
  const bool has_data = !x.empty();
  for (const auto& t : options.x_ticks) {
    if (usable_x(t.value, options.x_scale)) x.add(scaled_x(t.value));
  }
  x.widen();
  y.widen();
  // Breathing room so markers and error bars do not sit on the frame.
  double x_pad = (x.high - x.low) * 0.05, y_pad = (y.high - y.low) * 0.08;
  x.low -= x_pad;
  x.high += x_pad;
  y.low -= y_pad;
  y.high += y_pad;
  Frame frame(options, x, y);

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n",
      options.width, options.height);
  svg += fmt::format("<title>{}</title>\n", xml_escape(options.title));
  svg += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"white\"/>\n", options.width,
                     options.height);
  svg += fmt::format("<text x=\"{}\" y=\"22\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
                     number(frame.left()), xml_escape(options.title));

  // Y grid and ticks.
  for (double t : nice_ticks(frame.y().low, frame.y().high)) {
    double py = frame.py(t);
    svg += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#e0e0e0\"/>\n",
                       number(frame.left()), number(frame.right()), number(py));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", number(frame.left() - 6),
                       number(py + 4), xml_escape(tick_label(t)));
  }
  // X ticks: the given ones, or round values of the (unscaled) data range.
  std::vector<PlotTick> x_ticks = options.x_ticks;
  if (x_ticks.empty()) {
    if (options.x_scale == AxisScale::log2) {
      for (double e = std::ceil(x.low); e <= x.high; e += 1) x_ticks.push_back({std::exp2(e), tick_label(std::exp2(e))});
    } else {
      for (double t : nice_ticks(x.low, x.high)) x_ticks.push_back({t, tick_label(t)});
    }
  }
  for (const auto& t : x_ticks) {
    if (!usable_x(t.value, options.x_scale)) continue;
    double px = frame.px(t.value);
    svg += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#e0e0e0\"/>\n", number(px),
                       number(frame.top()), number(frame.bottom()));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", number(px),
                       number(frame.bottom() + 16), xml_escape(t.label));
  }
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n",
                     number(frame.left()), number(frame.top()), number(frame.right() - frame.left()),
                     number(frame.bottom() - frame.top()));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     number((frame.left() + frame.right()) / 2), number(frame.bottom() + 38),
                     xml_escape(options.x_label));
  double y_mid = (frame.top() + frame.bottom()) / 2;
  svg += fmt::format("<text x=\"16\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {0})\">{1}</text>\n",
                     number(y_mid), xml_escape(options.y_label));

  if (!has_data) {
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n",
                       number((frame.left() + frame.right()) / 2), number(y_mid));
  }

  for (size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    const char* colour = s.highlight ? "#000000" : kPalette[i % std::size(kPalette)];
    std::string polyline;
    std::string marks;
    const bool steps = s.line == SeriesLine::steps;
    double previous_py = 0.0;
    for (const auto& p : s.points) {
      if (!usable_x(p.x, options.x_scale) || !std::isfinite(p.y)) continue;
      double px = frame.px(p.x), py = frame.py(p.y);
      // A step keeps the previous value up to this x, then rises (or falls) to this one.
      if (steps && !polyline.empty()) polyline += fmt::format(" {},{}", number(px), number(previous_py));
      polyline += fmt::format("{}{},{}", polyline.empty() ? "" : " ", number(px), number(py));
      previous_py = py;
      if (p.y_low && p.y_high && std::isfinite(*p.y_low) && std::isfinite(*p.y_high)) {
        marks += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\"/>\n", number(px),
                             number(frame.py(*p.y_low)), number(frame.py(*p.y_high)), colour);
      }
      if (s.highlight) {
        marks += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"6\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n",
                             number(px), number(py), colour);
      } else {
        marks += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"/>\n", number(px), number(py), colour);
      }
    }
    svg += fmt::format("<g class=\"series{}\" data-name=\"{}\">\n", steps ? " steps" : "", xml_escape(s.name));
    bool draw_line = s.line == SeriesLine::plot ? options.lines : s.line == SeriesLine::steps;
    if (draw_line && !polyline.empty()) {
      svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>\n", polyline,
                         colour);
    }
    svg += marks;
    double ly = frame.top() + 8 + 18 * static_cast<double>(i);
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\n", number(frame.right() + 12),
                       number(ly - 10), colour);
    svg += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", number(frame.right() + 30), number(ly),
                       xml_escape(s.name));
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace bitlab::lab
