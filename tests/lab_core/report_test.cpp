#include "lab/core/report.h"

#include <algorithm>
#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "lab/core/expand.h"
#include "lab/core/report_writer.h"
#include "lab/core/status_table.h"
#include "lab_core/lab_test_util.h"
#include "lab_core/store_test_util.h"
#include "support/synthetic_dataset.h"
#include "support/xml_check.h"

namespace bitlab::lab {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ReportTest = testing::StoreInTempDir;
using ReportWriterTest = testing::StoreInTempDir;
using StatusTableTest = testing::StoreInTempDir;

// algo (ste, lsq) x bits (w2, w8) x 3 seeds.
std::vector<Run> design_runs() {
  nlohmann::json design = {
      {"base", {{"train", {{"epochs", 2}}}}},
      {"factors",
       {{{"name", "algo"}, {"levels", {{{"name", "ste"}}, {{"name", "lsq"}, {"patch", {{"algo", "lsq"}}}}}}},
        {{"name", "bits"},
         {"levels", {{{"name", "w2"}, {"patch", {{"bits", 2}}}}, {{"name", "w8"}, {"patch", {{"bits", 8}}}}}}}}},
      {"seeds", {1, 2, 3}}};
  return expand(parse_design(design, "d.json"));
}

// lsq beats ste by 0.02 (+ a seed-dependent wiggle), w8 beats w2 by 0.1.
double accuracy_of(const Run& run) {
  double a = 0.7;
  if (run.levels[0].level == "lsq") a += 0.02 + 0.001 * static_cast<double>(run.seed);
  if (run.levels[1].level == "w8") a += 0.1;
  return a + 0.01 * static_cast<double>(run.seed);
}

// With costs as `bitlab lab run` records them: total bits follow the bit width
// only (so ste and lsq tie), the latency also grows with lsq.
RunResults results_of(const Run& run, bool with_costs = false) {
  RunResults r;
  const double bits = run.levels[1].level == "w8" ? 8.0 : 2.0;
  r.metrics = {{"test_accuracy", accuracy_of(run)}, {"weight_bits", bits}};
  r.curves = {{"test_accuracy", {accuracy_of(run) - 0.1, accuracy_of(run)}}};
  if (with_costs) {
    r.metrics["total_bits"] = 1000 * bits;
    r.metrics["accelerator_latency"] = bits * (run.levels[0].level == "lsq" ? 1.5 : 1.0);
  }
  return r;
}

// Runs all but `skip_last` runs of the design to done.
void fill(ResultsStore& store, size_t skip_last = 0, bool with_costs = false) {
  auto runs = design_runs();
  store.add_runs(runs);
  for (size_t i = 0; i + skip_last < runs.size(); ++i) {
    auto record = store.claim_next_pending();
    store.mark_done(record->run.id, results_of(record->run, with_costs));
  }
}

TEST_F(ReportTest, SummarisesEveryVariantAndComparesOneFactorPairs) {
  fill(store);
  Report report = build_report(store);
  ASSERT_EQ(report.variants.size(), 4u);
  EXPECT_EQ(report.variants[0].variant, "algo=ste,bits=w2");
  EXPECT_EQ(report.variants[0].summary.n, 3u);
  EXPECT_NEAR(report.variants[0].summary.mean, 0.72, 1e-12);  // 0.7 + 0.01 * mean(1, 2, 3)
  EXPECT_NEAR(*report.variants[0].summary.standard_deviation, 0.01, 1e-12);
  ASSERT_TRUE(report.variants[1].weight_bits.has_value());
  EXPECT_EQ(*report.variants[1].weight_bits, 8.0);
  // ste-w2 vs ste-w8, ste-w2 vs lsq-w2, ste-w8 vs lsq-w8, lsq-w2 vs lsq-w8; never the diagonal.
  ASSERT_EQ(report.comparisons.size(), 4u);
  for (const auto& c : report.comparisons) {
    EXPECT_EQ(c.pairs, 3u);
    EXPECT_FALSE(c.factor.empty());
    ASSERT_TRUE(c.t_test && c.wilcoxon);
  }
  const ComparisonRow& ste_vs_lsq = report.comparisons[1];
  EXPECT_EQ(ste_vs_lsq.a, "algo=ste,bits=w2");
  EXPECT_EQ(ste_vs_lsq.b, "algo=lsq,bits=w2");
  EXPECT_EQ(ste_vs_lsq.factor, "algo");
  std::vector<double> a{0.71, 0.72, 0.73}, b{0.731, 0.742, 0.753};
  auto expected = paired_t_test(a, b);
  EXPECT_NEAR(ste_vs_lsq.t_test->mean_difference, -0.022, 1e-12);
  EXPECT_NEAR(ste_vs_lsq.t_test->p_value, expected.p_value, 1e-12);
  EXPECT_DOUBLE_EQ(ste_vs_lsq.wilcoxon->w_plus, 0.0);
  EXPECT_NEAR(ste_vs_lsq.wilcoxon->p_value, 0.25, 1e-12);  // 3 pairs, all one sign: 2 / 2^3
}

TEST_F(ReportTest, PlotsAccuracyAgainstBitsPerOtherFactorAndMeanCurves) {
  fill(store);
  Report report = build_report(store);
  ASSERT_EQ(report.accuracy_vs_bits.size(), 2u);
  EXPECT_EQ(report.accuracy_vs_bits[0].name, "algo=ste");
  ASSERT_EQ(report.accuracy_vs_bits[0].points.size(), 2u);
  EXPECT_EQ(report.accuracy_vs_bits[0].points[0].x, 2.0);
  EXPECT_EQ(report.accuracy_vs_bits[0].points[1].x, 8.0);
  EXPECT_NEAR(report.accuracy_vs_bits[0].points[1].y, 0.82, 1e-12);
  EXPECT_TRUE(report.accuracy_vs_bits[0].points[1].y_low.has_value());
  EXPECT_EQ(report.curve_name, "test_accuracy");
  ASSERT_EQ(report.curves.size(), 4u);
  ASSERT_EQ(report.curves[0].points.size(), 2u);
  EXPECT_NEAR(report.curves[0].points[0].y, 0.62, 1e-12);
}

TEST_F(ReportTest, ExplicitComparisonsAndUnfinishedPairs) {
  fill(store, 4);  // seed 3 not run yet
  ReportOptions options;
  options.comparisons = {{"algo=ste,bits=w2", "algo=lsq,bits=w8"}};
  Report report = build_report(store, options);
  ASSERT_EQ(report.comparisons.size(), 1u);
  EXPECT_EQ(report.comparisons[0].factor, "");
  EXPECT_EQ(report.comparisons[0].pairs, 2u);
  EXPECT_EQ(report.counts.pending, 4u);
  options.comparisons = {{"algo=ste,bits=w2", "algo=xyz"}};
  EXPECT_THAT(testing::error_of([&] { build_report(store, options); }),
              AllOf(HasSubstr("--compare"), HasSubstr("algo=xyz"), HasSubstr("algo=lsq,bits=w8")));
}

TEST(ParseComparison, SplitsAtTheCommaBetweenKnownVariants) {
  std::vector<std::string> variants{"algo=ste,bits=w2", "algo=lsq,bits=w2", "base"};
  EXPECT_EQ(parse_comparison("algo=ste,bits=w2,algo=lsq,bits=w2", variants),
            (VariantPair{"algo=ste,bits=w2", "algo=lsq,bits=w2"}));
  EXPECT_EQ(parse_comparison("base,algo=lsq,bits=w2", variants), (VariantPair{"base", "algo=lsq,bits=w2"}));
  EXPECT_THROW(parse_comparison("algo=ste,bits=w2", variants), ConfigError);
  EXPECT_THAT(testing::error_of([&] { parse_comparison("a,b", variants); }),
              AllOf(HasSubstr("--compare"), HasSubstr("algo=lsq,bits=w2")));
}

TEST_F(ReportWriterTest, WritesMarkdownSelfContainedHtmlAndSvgs) {
  fill(store);
  Report report = build_report(store);
  ReportFiles files = write_report(report, dir / "out");
  for (const auto& f : {files.markdown, files.html, files.bits_plot, files.curves_plot}) {
    EXPECT_TRUE(std::filesystem::exists(f)) << f;
  }
  std::string md = testing::read_bytes(files.markdown);
  EXPECT_THAT(md, AllOf(HasSubstr("| algo=ste,bits=w2 | 3 | 72.00 % ± 1.00 % |"), HasSubstr("p (paired t)"),
                        HasSubstr("p (Wilcoxon)"), HasSubstr("0.2500 (exact)"), HasSubstr("](accuracy-vs-bits.svg)"),
                        HasSubstr("](curves.svg)"), HasSubstr("12 runs: 12 done")));
  std::string html = testing::read_bytes(files.html);
  EXPECT_THAT(html, AllOf(HasSubstr("<table>"), HasSubstr("<td>algo=lsq,bits=w8</td>"), HasSubstr("<svg "),
                          HasSubstr("95 % CI")));
  // Self-contained: nothing is fetched from anywhere.
  EXPECT_THAT(html, AllOf(Not(HasSubstr("<script")), Not(HasSubstr("<link")), Not(HasSubstr("<img")),
                          Not(HasSubstr("src=")), Not(HasSubstr("href=")), Not(HasSubstr("url("))));
  size_t svgs = 0;
  for (size_t start = html.find("<svg "); start != std::string::npos; start = html.find("<svg ", start + 1)) {
    size_t end = html.find("</svg>", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_EQ(testing::xml_problem(html.substr(start, end + 6 - start)), "");
    ++svgs;
  }
  EXPECT_EQ(svgs, 2u);
  EXPECT_EQ(testing::xml_problem(testing::read_bytes(files.bits_plot)), "");
  EXPECT_EQ(testing::xml_problem(testing::read_bytes(files.curves_plot)), "");
}

// Means: ste-w2 72 %, lsq-w2 74.2 %, ste-w8 82 %, lsq-w8 84.2 %.
TEST_F(ReportTest, ParetoFrontPerRecordedCost) {
  fill(store, 0, true);
  Report report = build_report(store);
  EXPECT_TRUE(report.higher_is_better);
  ASSERT_EQ(report.pareto.size(), 2u);  // only the costs the runs recorded, in default order
  const ParetoPlot& bits = report.pareto[0];
  EXPECT_EQ(bits.cost.name, "total_bits");
  ASSERT_EQ(bits.variants.size(), 4u);
  EXPECT_EQ(bits.variants[0].cost, 2000.0);
  // Equal bits: the more accurate lsq variants dominate ste.
  ASSERT_EQ(bits.front.size(), 2u);
  EXPECT_EQ(bits.variants[bits.front[0]].variant, "algo=lsq,bits=w2");
  EXPECT_EQ(bits.variants[bits.front[1]].variant, "algo=lsq,bits=w8");
  EXPECT_FALSE(bits.variants[0].on_front);
  const ParetoPlot& latency = report.pareto[1];
  EXPECT_EQ(latency.cost.name, "accelerator_latency");
  ASSERT_EQ(latency.front.size(), 4u);  // each step up in latency buys accuracy
  EXPECT_EQ(latency.variants[latency.front[0]].variant, "algo=ste,bits=w2");
  EXPECT_EQ(latency.variants[latency.front[3]].variant, "algo=lsq,bits=w8");

  // A loss is minimised: the front then keeps the cheapest variant of lowest loss.
  ReportOptions loss;
  loss.metric = "test_accuracy_loss";  // any name with "loss" in it
  EXPECT_FALSE(build_report(store, loss).higher_is_better);
}

TEST_F(ReportWriterTest, ParetoPlotsTablesAndJson) {
  fill(store, 0, true);
  ReportFiles files = write_report(build_report(store), dir / "out");
  ASSERT_EQ(files.pareto_plots.size(), 2u);
  EXPECT_EQ(files.pareto_plots[0], dir / "out/pareto-total_bits.svg");
  std::string svg = testing::read_bytes(files.pareto_plots[0]);
  EXPECT_EQ(testing::xml_problem(svg), "");
  // The front: a step line (4 vertices for 2 points: up, across, up) and ringed points.
  EXPECT_THAT(svg, AllOf(HasSubstr("<g class=\"series steps\" data-name=\"Pareto front\">"),
                         HasSubstr("data-name=\"algo=ste,bits=w2\""), HasSubstr("r=\"6\" fill=\"none\""),
                         HasSubstr("total bits (AutoQKeras)")));
  size_t front_group = svg.find("data-name=\"Pareto front\"");
  size_t polyline = svg.find("<polyline points=\"", front_group);
  ASSERT_NE(polyline, std::string::npos);
  std::string points = svg.substr(polyline, svg.find('"', polyline + 18) - polyline);
  EXPECT_EQ(std::count(points.begin(), points.end(), ','), 3);  // (x0,y0) (x1,y0) (x1,y1)
  // Variant points are a scatter: no polyline outside the front's group.
  EXPECT_EQ(svg.find("<polyline"), polyline);

  std::string md = testing::read_bytes(files.markdown);
  EXPECT_THAT(md, AllOf(HasSubstr("## test_accuracy vs cost: Pareto fronts"),
                        HasSubstr("](pareto-total_bits.svg)"), HasSubstr("](pareto-accelerator_latency.svg)"),
                        HasSubstr("| variant | n | test_accuracy mean | 95 % CI | total bits (AutoQKeras) |"),
                        HasSubstr("| algo=lsq,bits=w2 | 3 | 74.20 % |"), HasSubstr("| 2000 |"),
                        HasSubstr("The front holds the 2 of 4 variants")));
  std::string html = testing::read_bytes(files.html);
  EXPECT_THAT(html, AllOf(HasSubstr("<h3>test_accuracy vs total bits (AutoQKeras)</h3>"),
                          HasSubstr("data-name=\"Pareto front\"")));

  auto json = nlohmann::json::parse(testing::read_bytes(files.pareto));
  EXPECT_EQ(json["metric"], "test_accuracy");
  EXPECT_EQ(json["higher_is_better"], true);
  ASSERT_EQ(json["costs"].size(), 2u);
  EXPECT_EQ(json["costs"][0]["cost"], "total_bits");
  EXPECT_EQ(json["costs"][0]["front"], nlohmann::json({"algo=lsq,bits=w2", "algo=lsq,bits=w8"}));
  EXPECT_EQ(json["costs"][0]["variants"].size(), 4u);
  EXPECT_EQ(json["costs"][0]["variants"][0]["on_front"], false);
  EXPECT_NEAR(json["costs"][1]["variants"][3]["mean"].get<double>(), 0.842, 1e-12);
}

// Stores written before runs recorded costs still report, without Pareto sections.
TEST_F(ReportWriterTest, StoresWithoutCostsHaveNoParetoSection) {
  fill(store);
  Report report = build_report(store);
  EXPECT_TRUE(report.pareto.empty());
  ReportFiles files = write_report(report, dir / "out");
  EXPECT_TRUE(files.pareto_plots.empty());
  EXPECT_THAT(testing::read_bytes(files.markdown), Not(HasSubstr("Pareto")));
  EXPECT_EQ(nlohmann::json::parse(testing::read_bytes(files.pareto))["costs"], nlohmann::json::array());
}

TEST_F(ReportWriterTest, FloatOnlyDesignsHaveNoBitsPlot) {
  auto runs = expand(parse_design({{"seeds", {1, 2}}}, "float.json"));
  store.add_runs(runs);
  while (auto record = store.claim_next_pending()) {
    store.mark_done(record->run.id, {.metrics = {{"test_accuracy", 0.9 + 0.01 * static_cast<double>(record->run.seed)}}});
  }
  Report report = build_report(store);
  EXPECT_TRUE(report.accuracy_vs_bits.empty());
  EXPECT_TRUE(report.comparisons.empty());
  ReportFiles files = write_report(report, dir / "out");
  EXPECT_FALSE(std::filesystem::exists(files.bits_plot));
  EXPECT_THAT(testing::read_bytes(files.markdown), AllOf(HasSubstr("| base | 2 |"), HasSubstr("--compare")));
}

TEST_F(StatusTableTest, CountsPerVariantAndListsFailures) {
  auto runs = design_runs();
  store.add_runs(runs);
  auto first = store.claim_next_pending();
  store.mark_done(first->run.id, results_of(first->run));
  auto second = store.claim_next_pending();
  store.mark_failed(second->run.id, "diverged\nbacktrace...");
  auto counts = counts_by_variant(store.runs());
  ASSERT_EQ(counts.size(), 4u);
  EXPECT_EQ(counts[0].first, "algo=ste,bits=w2");
  EXPECT_EQ(counts[0].second.done, 1u);
  EXPECT_EQ(counts[0].second.pending, 2u);
  EXPECT_EQ(counts[1].second.failed, 1u);
  std::string text = format_status(store.runs());
  EXPECT_THAT(text, AllOf(HasSubstr("pending"), HasSubstr("all"), HasSubstr("failed: algo=ste,bits=w8/seed=1"),
                          HasSubstr(": diverged"), Not(HasSubstr("backtrace"))));
}

}  // namespace
}  // namespace bitlab::lab
