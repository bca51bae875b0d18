#include "lab/core/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/xml_check.h"

namespace bitlab::lab {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<double> attribute_values(const std::string& svg, const std::string& element, const std::string& attribute) {
  std::vector<double> values;
  std::regex pattern("<" + element + " [^>]*" + attribute + "=\"([-0-9.]+)\"");
  for (std::sregex_iterator it(svg.begin(), svg.end(), pattern), end; it != end; ++it) {
    values.push_back(std::stod((*it)[1]));
  }
  return values;
}

TEST(XmlCheck, RejectsWhatItShould) {
  EXPECT_EQ(testing::xml_problem("<a><b x=\"1\"/>t &amp; u</a>"), "");
  EXPECT_NE(testing::xml_problem("<a><b></a>"), "");
  EXPECT_NE(testing::xml_problem("<a>x < y</a>"), "");
  EXPECT_NE(testing::xml_problem("<a>R&D</a>"), "");
  EXPECT_NE(testing::xml_problem("<a x=1></a>"), "");
  EXPECT_NE(testing::xml_problem("<a></a><b></b>"), "");
  EXPECT_NE(testing::xml_problem("<a>"), "");
}

TEST(SvgPlot, IsWellFormedAndEscapesText) {
  PlotOptions options;
  options.title = "accuracy <vs> bits & \"friends\"";
  options.x_label = "bits";
  options.y_label = "acc";
  std::vector<PlotSeries> series = {{"algo=ste,a<b", {{2, 0.5, 0.4, 0.6}, {4, 0.7}, {8, 0.8, 0.75, 0.85}}},
                                    {"R&D's", {{2, 0.6}, {8, 0.9}}}};
  std::string svg = render_line_plot(series, options);
  EXPECT_EQ(testing::xml_problem(svg), "") << svg;
  EXPECT_THAT(svg, HasSubstr("xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("accuracy &lt;vs&gt; bits &amp; &quot;friends&quot;"));
  EXPECT_THAT(svg, HasSubstr("R&amp;D&apos;s"));
  EXPECT_EQ(attribute_values(svg, "circle", "cx").size(), 5u);
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '\n') > 10, true);
  EXPECT_THAT(svg, Not(HasSubstr("no data")));
}

TEST(SvgPlot, PointsLandInsideTheFrameInOrder) {
  PlotOptions options;
  options.width = 500;
  options.height = 300;
  std::string svg = render_line_plot({{"s", {{1, 10}, {2, 20}, {3, 15}}}}, options);
  auto cx = attribute_values(svg, "circle", "cx");
  auto cy = attribute_values(svg, "circle", "cy");
  ASSERT_EQ(cx.size(), 3u);
  EXPECT_LT(cx[0], cx[1]);
  EXPECT_LT(cx[1], cx[2]);
  EXPECT_GT(cy[0], cy[2]);  // SVG y grows downwards: 10 is below 15
  EXPECT_GT(cy[2], cy[1]);
  for (double x : cx) EXPECT_TRUE(x > 0 && x < 500);
  for (double y : cy) EXPECT_TRUE(y > 0 && y < 300);
}

TEST(SvgPlot, Log2AxisSpacesBitWidthsEvenly) {
  PlotOptions options;
  options.x_scale = AxisScale::log2;
  options.x_ticks = {{2, "2"}, {4, "4"}, {8, "8"}};
  std::string svg = render_line_plot({{"s", {{2, 0.5}, {4, 0.6}, {8, 0.7}}}}, options);
  auto cx = attribute_values(svg, "circle", "cx");
  ASSERT_EQ(cx.size(), 3u);
  EXPECT_NEAR(cx[1] - cx[0], cx[2] - cx[1], 0.02);
  EXPECT_THAT(svg, HasSubstr(">8</text>"));
}

TEST(SvgPlot, SkipsNonFinitePointsAndSaysWhenThereIsNoData) {
  std::string svg = render_line_plot({{"s", {{1, 0.5}, {2, std::nan("")}, {3, INFINITY}}}}, {});
  EXPECT_EQ(attribute_values(svg, "circle", "cx").size(), 1u);
  EXPECT_EQ(testing::xml_problem(svg), "");
  std::string empty = render_line_plot({}, {});
  EXPECT_THAT(empty, HasSubstr("no data"));
  EXPECT_EQ(testing::xml_problem(empty), "");
}

TEST(SvgPlot, ErrorBarsAreDrawn) {
  std::string with = render_line_plot({{"s", {{1, 0.5, 0.4, 0.6}}}}, {});
  std::string without = render_line_plot({{"s", {{1, 0.5}}}}, {});
  // Grid lines are grey; an error bar is a line in the series' colour.
  std::regex bar("<line [^>]*stroke=\"#0072B2\"");
  auto bars = [&](const std::string& s) {
    return std::distance(std::sregex_iterator(s.begin(), s.end(), bar), std::sregex_iterator());
  };
  EXPECT_EQ(bars(with), 1);
  EXPECT_EQ(bars(without), 0);
}

TEST(SvgPlot, NiceTicks) {
  auto ticks = nice_ticks(0, 1, 5);
  ASSERT_EQ(ticks.size(), 6u);
  EXPECT_NEAR(ticks[1], 0.2, 1e-12);
  EXPECT_NEAR(ticks[5], 1.0, 1e-12);
  EXPECT_THAT(nice_ticks(13, 87, 4), ElementsAre(20, 40, 60, 80));
  EXPECT_TRUE(nice_ticks(1, 1).empty());
}

}  // namespace
}  // namespace bitlab::lab
