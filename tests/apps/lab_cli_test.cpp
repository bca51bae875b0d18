// `bitlab lab ...` end to end through the real binary, on synthetic data.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lab/core/results_store.h"
#include "support/cli_runner.h"
#include "support/synthetic_dataset.h"
#include "support/xml_check.h"

namespace bitlab {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::run_bitlab;
using ::testing::Not;

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// 2 algorithms x 2 bit widths x `seeds`, 1 epoch of a tiny CNN on synthetic data.
std::filesystem::path write_design(const testing::TempDir& dir, std::vector<int> seeds) {
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 256, .test = 96});
  nlohmann::json design = {
      {"name", "tiny"},
      {"base",
       {{"data", {{"root", (dir / "data").string()}}},
        {"model", {{"channels", {8}}, {"hidden", 16}}},
        {"train", {{"epochs", 1}, {"batch_size", 32}, {"lr", 3e-3}}},
        {"quantization", {{"policy", "w8a8"}, {"calibration", {{"batches", 2}}}}}}},
      {"factors",
       {{{"name", "algo"}, {"levels", {{{"name", "ste"}}, {{"name", "lsq"}, {"patch", {{"quantization", {{"algorithm", "lsq"}}}}}}}}},
        {{"name", "bits"},
         {"levels", {{{"name", "w8"}}, {{"name", "w4"}, {"patch", {{"quantization", {{"policy", "w4a4"}}}}}}}}}}},
      {"seeds", seeds}};
  std::ofstream(dir / "design.json") << design.dump(2);
  return dir / "design.json";
}

TEST(LabCli, RunsADesignInWorkersThenReportsStatusAndStatistics) {
  testing::TempDir dir;
  auto design = write_design(dir, {1, 2});
  std::string store = (dir / "exp/results.db").string();
  auto run = run_bitlab("lab run " + design.string() + " --store " + store + " --workers 2");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("8 runs, 8 new"), HasSubstr("[8/8] done"), HasSubstr("ETA"),
                                HasSubstr("test_accuracy"), HasSubstr("8 done, 0 failed, 0 pending")));
  EXPECT_EQ(count_of(run.output, "] done "), 8u);
  // Each run trained into its own folder beside the store, with its resolved config.
  auto config = nlohmann::json::parse(read_text(dir / "exp/algo=lsq,bits=w4/seed=2/config.json"));
  EXPECT_EQ(config["train"]["seed"], 2);
  EXPECT_EQ(config["quantization"]["policy"]["algorithm"], "lsq");
  EXPECT_TRUE(std::filesystem::exists(dir / "exp/algo=ste,bits=w8/seed=1/checkpoint.pt"));

  auto status = run_bitlab("lab status --store " + store);
  ASSERT_EQ(status.status, 0) << status.output;
  EXPECT_THAT(status.output, AllOf(HasSubstr("algo=lsq,bits=w4"), HasSubstr("done")));
  EXPECT_THAT(status.output, ::testing::ContainsRegex("all +\\| +0 \\| +0 \\| +8 \\| +0 \\| +8"));

  // Nothing is left: a rerun trains nothing.
  auto again = run_bitlab("lab run " + design.string() + " --store " + store);
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_THAT(again.output, AllOf(HasSubstr("0 new"), HasSubstr("0 to run")));
  EXPECT_EQ(count_of(again.output, "] done "), 0u);

  auto report = run_bitlab("lab report --store " + store + " --out " + (dir / "rep").string());
  ASSERT_EQ(report.status, 0) << report.output;
  std::string md = read_text(dir / "rep/report.md");
  EXPECT_THAT(md, AllOf(HasSubstr("| algo=lsq,bits=w4 | 2 |"), HasSubstr("95 % CI"), HasSubstr("p (paired t)"),
                        HasSubstr("p (Wilcoxon)"), HasSubstr("| algo=ste,bits=w8 | algo=lsq,bits=w8 | algo | 2 |")));
  std::string html = read_text(dir / "rep/report.html");
  EXPECT_THAT(html, AllOf(HasSubstr("<svg "), HasSubstr("weight bits"), Not(HasSubstr("<script"))));
  EXPECT_EQ(testing::xml_problem(read_text(dir / "rep/accuracy-vs-bits.svg")), "");
  EXPECT_EQ(testing::xml_problem(read_text(dir / "rep/curves.svg")), "");
  // Every run recorded its hardware costs, so the report trades accuracy against them.
  EXPECT_THAT(md, AllOf(HasSubstr("Pareto fronts"), HasSubstr("](pareto-total_bits.svg)"),
                        HasSubstr("](pareto-accelerator_latency.svg)")));
  EXPECT_EQ(testing::xml_problem(read_text(dir / "rep/pareto-total_bits.svg")), "");
  auto pareto = nlohmann::json::parse(read_text(dir / "rep/pareto.json"));
  ASSERT_GE(pareto["costs"].size(), 2u) << pareto.dump();
  EXPECT_FALSE(pareto["costs"][0]["front"].empty());

  auto compare = run_bitlab("lab report --store " + store + " --out " + (dir / "rep2").string() +
                            " --compare algo=ste,bits=w8,algo=lsq,bits=w4");
  ASSERT_EQ(compare.status, 0) << compare.output;
  EXPECT_THAT(read_text(dir / "rep2/report.md"), HasSubstr("| algo=ste,bits=w8 | algo=lsq,bits=w4 | several factors |"));
  auto bad_compare = run_bitlab("lab report --store " + store + " --compare algo=ste,bits=w9,algo=lsq,bits=w4");
  EXPECT_EQ(bad_compare.status, 2);
  EXPECT_THAT(bad_compare.output, HasSubstr("--compare"));
}

// A worker killed mid-run leaves its run "running" under a dead pid; the next
// `lab run` trains that run and the ones never started, and nothing else.
TEST(LabCli, RerunAfterACrashCompletesOnlyTheMissingRuns) {
  testing::TempDir dir;
  auto design = write_design(dir, {1, 2});
  std::string store = (dir / "results.db").string();
  auto half = run_bitlab("lab run " + design.string() + " --store " + store + " --shard 1/2");
  ASSERT_EQ(half.status, 0) << half.output;
  EXPECT_EQ(count_of(half.output, "] done "), 4u);

  // The crashed worker: claims a run of shard 2, then dies without finishing it.
  pid_t pid = ::fork();
  if (pid == 0) {
    lab::ResultsStore crashed(store);
    auto claimed = crashed.claim_next_pending(lab::Shard{2, 2});
    ::_exit(claimed ? 0 : 1);
  }
  int child = 0;
  ::waitpid(pid, &child, 0);
  ASSERT_TRUE(WIFEXITED(child) && WEXITSTATUS(child) == 0);
  auto status = run_bitlab("lab status --store " + store);
  EXPECT_THAT(status.output, ::testing::ContainsRegex("all +\\| +3 \\| +1 \\| +4 \\| +0 \\| +8"));

  std::map<std::string, int> attempts_before;
  {
    lab::ResultsStore s(store);
    for (const auto& r : s.runs()) attempts_before[r.run.id] = r.attempts;
  }
  auto rest = run_bitlab("lab run " + design.string() + " --store " + store + " --workers 2");
  ASSERT_EQ(rest.status, 0) << rest.output;
  EXPECT_THAT(rest.output, HasSubstr("4 done, 0 failed, 4 to run"));
  EXPECT_EQ(count_of(rest.output, "] done "), 4u);
  lab::ResultsStore s(store);
  EXPECT_EQ(s.counts().done, 8u);
  for (const auto& r : s.runs()) {
    bool shard_one = r.run.index % 2 == 0;
    // Shard 1's runs were not touched again; shard 2's crashed run took a second attempt.
    EXPECT_EQ(r.attempts, shard_one ? 1 : attempts_before[r.run.id] + 1) << r.run.id;
    EXPECT_EQ(r.results.curves.at("test_accuracy").size(), 1u);
  }
}

TEST(LabCli, ShardStoresMerge) {
  testing::TempDir dir;
  auto design = write_design(dir, {1});
  auto a = run_bitlab("lab run " + design.string() + " --store " + (dir / "a/results.db").string() + " --shard 1/2");
  auto b = run_bitlab("lab run " + design.string() + " --store " + (dir / "b/results.db").string() + " --shard 2/2");
  ASSERT_EQ(a.status, 0) << a.output;
  ASSERT_EQ(b.status, 0) << b.output;
  auto merge = run_bitlab("lab merge " + (dir / "all.db").string() + " " + (dir / "a/results.db").string() + " " +
                          (dir / "b/results.db").string());
  ASSERT_EQ(merge.status, 0) << merge.output;
  EXPECT_THAT(merge.output, HasSubstr("now 4 done, 0 failed, 0 pending"));
  auto status = run_bitlab("lab status --store " + (dir / "all.db").string());
  EXPECT_THAT(status.output, ::testing::ContainsRegex("all +\\| +0 \\| +0 \\| +4 \\| +0 \\| +4"));
}

TEST(LabCli, UserErrorsNameTheFileAndTheFix) {
  testing::TempDir dir;
  std::ofstream(dir / "bad.json") << R"({"base": {"train": {"epochz": 1}}, "seeds": [1]})";
  auto bad = run_bitlab("lab run " + (dir / "bad.json").string() + " --store " + (dir / "s.db").string());
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.output, AllOf(HasSubstr("bad.json"), HasSubstr("/train/epochz")));
  EXPECT_FALSE(std::filesystem::exists(dir / "s.db"));  // nothing registered for a design that does not expand
  auto missing = run_bitlab("lab status --store " + (dir / "none.db").string());
  EXPECT_EQ(missing.status, 4);
  EXPECT_THAT(missing.output, AllOf(HasSubstr("none.db: no such results store"), HasSubstr("--store")));
  auto bad_shard = run_bitlab("lab run " + (dir / "bad.json").string() + " --shard 3/2");
  EXPECT_EQ(bad_shard.status, 2);
  auto help = run_bitlab("lab --help");
  // The worker subcommand is internal: listed subcommands are indented by two spaces.
  EXPECT_THAT(help.output, AllOf(HasSubstr("\n  run "), HasSubstr("\n  report "), Not(HasSubstr("\n  worker "))));
}

}  // namespace
}  // namespace bitlab
