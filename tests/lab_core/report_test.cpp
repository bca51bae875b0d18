#include "lab/core/report.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "lab/core/expand.h"
#include "lab/core/report_writer.h"
#include "lab/core/status_table.h"
#include "lab_core/lab_test_util.h"
#include "support/synthetic_dataset.h"
#include "support/xml_check.h"

namespace bitlab::lab {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

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

RunResults results_of(const Run& run) {
  RunResults r;
  r.metrics = {{"test_accuracy", accuracy_of(run)},
               {"weight_bits", run.levels[1].level == "w8" ? 8.0 : 2.0}};
  r.curves = {{"test_accuracy", {accuracy_of(run) - 0.1, accuracy_of(run)}}};
  return r;
}

// Runs all but `skip_last` runs of the design to done.
void fill(ResultsStore& store, size_t skip_last = 0) {
  auto runs = design_runs();
  store.add_runs(runs);
  for (size_t i = 0; i + skip_last < runs.size(); ++i) {
    auto record = store.claim_next_pending();
    store.mark_done(record->run.id, results_of(record->run));
  }
}

TEST(Report, SummarisesEveryVariantAndComparesOneFactorPairs) {
  testing::TempDir dir;
  ResultsStore store(dir / "r.db");
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

TEST(Report, PlotsAccuracyAgainstBitsPerOtherFactorAndMeanCurves) {
  testing::TempDir dir;
  ResultsStore store(dir / "r.db");
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

TEST(Report, ExplicitComparisonsAndUnfinishedPairs) {
  testing::TempDir dir;
  ResultsStore store(dir / "r.db");
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

TEST(Report, ParseComparisonSplitsAtTheCommaBetweenKnownVariants) {
  std::vector<std::string> variants{"algo=ste,bits=w2", "algo=lsq,bits=w2", "base"};
  EXPECT_EQ(parse_comparison("algo=ste,bits=w2,algo=lsq,bits=w2", variants),
            (VariantPair{"algo=ste,bits=w2", "algo=lsq,bits=w2"}));
  EXPECT_EQ(parse_comparison("base,algo=lsq,bits=w2", variants), (VariantPair{"base", "algo=lsq,bits=w2"}));
  EXPECT_THROW(parse_comparison("algo=ste,bits=w2", variants), ConfigError);
  EXPECT_THAT(testing::error_of([&] { parse_comparison("a,b", variants); }),
              AllOf(HasSubstr("--compare"), HasSubstr("algo=lsq,bits=w2")));
}

TEST(ReportWriter, WritesMarkdownSelfContainedHtmlAndSvgs) {
  testing::TempDir dir;
  ResultsStore store(dir / "r.db");
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

TEST(ReportWriter, FloatOnlyDesignsHaveNoBitsPlot) {
  testing::TempDir dir;
  ResultsStore store(dir / "r.db");
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

TEST(StatusTable, CountsPerVariantAndListsFailures) {
  testing::TempDir dir;
  ResultsStore store(dir / "r.db");
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
