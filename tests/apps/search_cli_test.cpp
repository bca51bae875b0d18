// `bitlab search` end to end through the real binary: a float run on synthetic
// data, then 3 random trials of 1 QAT epoch each, then a rerun that evaluates
// nothing new (docs/search.md §7).
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_runner.h"
#include "support/synthetic_dataset.h"
#include "train/policy.h"

namespace bitlab {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::run_bitlab;

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SearchCli, RunsRandomTrialsWritesTheFrontAndPolicyAndResumesWithoutRetraining) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 256, .test = 64});
  const nlohmann::json job = {{"name", "tiny-float"},
                              {"data", {{"root", (dir / "data").string()}}},
                              {"model", {{"channels", {8}}, {"hidden", 16}}},
                              {"train", {{"epochs", 1}, {"batch_size", 32}, {"lr", 3e-3}}},
                              {"output", {{"dir", (dir / "float").string()}}}};
  std::ofstream(dir / "float.json") << job.dump(2);
  auto train = run_bitlab("train " + (dir / "float.json").string() + " -q");
  ASSERT_EQ(train.status, 0) << train.output;

  const nlohmann::json search = {
      {"space",
       {{"weight_bits", {2, 4, 8}},
        {"activation_bits", {4, 8}},
        {"layers",
         {{{"name", "features.conv0_0"}, {"weights", 8}, {"activation_point", "features.relu0_0"}},
          {{"name", "classifier.fc0"}, {"activation_point", "classifier.relu_fc0"}},
          {{"name", "classifier.fc_out"}, {"weights", 8}}}}}},
      {"strategy", {{"name", "random"}, {"budget", 1}}},
      {"max_trials", 3},
      {"seed", 1},
      {"output", (dir / "search").string()},
      {"evaluator",
       {{"job", job},
        {"from", (dir / "float/checkpoint.pt").string()},
        {"validation_folds", 4},
        {"calibration", {{"batches", 2}}}}}};
  std::ofstream(dir / "search.json") << search.dump(2);

  auto run = run_bitlab("search " + (dir / "search.json").string());
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("3 trials requested, 3 newly evaluated, 3 in the log"),
                                HasSubstr("Pareto front"), HasSubstr("chosen policy: "), HasSubstr("search random 100% 3/3")));
  for (const char* file : {"trials.jsonl", "front.json", "front.svg", "policy.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / "search" / file)) << file;

  // Three trials, each trained in its own folder and scored on the held-out fold.
  std::istringstream lines(read_text(dir / "search/trials.jsonl"));
  int trials = 0;
  for (std::string line; std::getline(lines, line);) {
    auto trial = nlohmann::json::parse(line);
    EXPECT_EQ(trial["budget"], 1);
    EXPECT_GE(trial["accuracy"].get<double>(), 0.0);
    EXPECT_LE(trial["accuracy"].get<double>(), 1.0);
    EXPECT_GT(trial["costs"]["bops"].get<double>(), 0.0);
    ++trials;
  }
  EXPECT_EQ(trials, 3);
  int folders = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "search/trials")) {
    EXPECT_TRUE(std::filesystem::exists(entry.path() / "checkpoint.pt"));
    auto metrics = nlohmann::json::parse(read_text(entry.path() / "metrics.json"));
    EXPECT_EQ(metrics["fold"]["count"], 4);
    EXPECT_TRUE(metrics.contains("final_validation"));
    ++folders;
  }
  EXPECT_EQ(folders, 3);

  // The chosen policy is a policy file training accepts, with the pinned widths.
  const train::PrecisionPolicy policy = train::load_policy(dir / "search/policy.json");
  const std::string policy_text = read_text(dir / "search/policy.json");
  EXPECT_THAT(policy_text, AllOf(HasSubstr("features.conv0_0"), HasSubstr("classifier.fc_out")));
  static_cast<void>(policy);

  // A rerun answers every trial from the log.
  auto again = run_bitlab("search " + (dir / "search.json").string() + " -q");
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("3 trials requested, 0 newly evaluated, 3 in the log"));
}

TEST(SearchCli, AMissingCheckpointIsAConfigErrorThatSaysHowToProduceIt) {
  testing::TempDir dir;
  const nlohmann::json search = {{"space", {{"layers", {{{"name", "features.conv0_0"}}}}}},
                                 {"output", (dir / "search").string()},
                                 {"evaluator", {{"job", {{"model", {{"channels", {8}}}}}}, {"from", "nowhere.pt"}}}};
  std::ofstream(dir / "search.json") << search.dump(2);
  auto run = run_bitlab("search " + (dir / "search.json").string());
  EXPECT_EQ(run.status, 2) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("/evaluator/from"), HasSubstr("bitlab train")));
}

TEST(SearchCli, HawqWithHessianSensitivityPicksOneCandidateUnderTheBudget) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 128, .test = 32});
  const nlohmann::json job = {{"name", "tiny-float"},
                              {"data", {{"root", (dir / "data").string()}}},
                              {"model", {{"channels", {8}}, {"hidden", 16}}},
                              {"train", {{"epochs", 1}, {"batch_size", 32}, {"lr", 3e-3}}},
                              {"output", {{"dir", (dir / "float").string()}}}};
  std::ofstream(dir / "float.json") << job.dump(2);
  auto train = run_bitlab("train " + (dir / "float.json").string() + " -q");
  ASSERT_EQ(train.status, 0) << train.output;
  // Weight knobs only; fc0 holds 25 088 of the ~25 300 weights: 12 kB forces it to 4 bits or fewer.
  const nlohmann::json search = {
      {"space",
       {{"layers",
         {{{"name", "features.conv0_0"}, {"activation_point", "features.relu0_0"}, {"activations", 8}},
          {{"name", "classifier.fc0"}, {"activation_point", "classifier.relu_fc0"}, {"activations", 8}},
          {{"name", "classifier.fc_out"}, {"weights", 8}}}}}},
      {"objective", {{"budgets", {{"weight_bytes", 12000}}}}},
      {"strategy", {{"name", "hawq"}, {"sensitivity", "hessian"}, {"hessian_samples", 4}, {"hessian_images", 32}}},
      {"output", (dir / "search").string()},
      {"evaluator", {{"job", job}, {"from", (dir / "float/checkpoint.pt").string()}, {"validation_folds", 4}}}};
  std::ofstream(dir / "search.json") << search.dump(2);
  auto run = run_bitlab("search " + (dir / "search.json").string() + " -q");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("computing Hessian traces"), HasSubstr("1 trials requested, 1 newly evaluated"),
                                HasSubstr("chosen policy: ")));
  auto trial = nlohmann::json::parse(read_text(dir / "search/trials.jsonl"));
  EXPECT_EQ(trial["strategy"], "hawq");
  EXPECT_LE(trial["costs"]["weight_bytes"].get<double>(), 12000.0);
  EXPECT_LE(trial["bits"]["classifier.fc0"]["weights"].get<int>(), 4);
  static_cast<void>(train::load_policy(dir / "search/policy.json"));
}

}  // namespace
}  // namespace bitlab
