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

// A tiny float run on synthetic data and its checkpoint, for the tests below.
nlohmann::json tiny_float_job(const testing::TempDir& dir) {
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 256, .test = 32});
  const nlohmann::json job = {{"name", "tiny-float"},
                              {"data", {{"root", (dir / "data").string()}}},
                              {"model", {{"channels", {8}}, {"hidden", 16}}},
                              {"train", {{"epochs", 1}, {"batch_size", 32}, {"lr", 3e-3}}},
                              {"output", {{"dir", (dir / "float").string()}}}};
  std::ofstream(dir / "float.json") << job.dump(2);
  auto train = run_bitlab("train " + (dir / "float.json").string() + " -q");
  EXPECT_EQ(train.status, 0) << train.output;
  return job;
}

nlohmann::json tiny_space() {
  return {{"weight_bits", {2, 4, 8}},
          {"activation_bits", {4, 8}},
          {"layers",
           {{{"name", "features.conv0_0"}, {"weights", 8}, {"activation_point", "features.relu0_0"}},
            {{"name", "classifier.fc0"}, {"activation_point", "classifier.relu_fc0"}},
            {{"name", "classifier.fc_out"}, {"weights", 8}}}}};
}

TEST(SearchCli, RunsRandomTrialsWritesTheFrontAndPolicyAndResumesWithoutRetraining) {
  testing::TempDir dir;
  const nlohmann::json job = tiny_float_job(dir);
  const nlohmann::json search = {
      {"space", tiny_space()},
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
      {"references", {"w8a8"}},
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

  // The flat reference is trained like a trial and listed with the front.
  EXPECT_THAT(run.output, HasSubstr("flat references"));
  EXPECT_TRUE(std::filesystem::exists(dir / "search/trials/flat-w8a8-e1/checkpoint.pt"));
  auto front = nlohmann::json::parse(read_text(dir / "search/front.json"));
  ASSERT_EQ(front["references"].size(), 1u);
  EXPECT_EQ(front["references"][0]["label"], "w8a8");
  EXPECT_GT(front["references"][0]["costs"]["weight_bytes"].get<double>(), 12000.0);
}

// Successive halving 1 → 2 epochs over 2 candidates: the survivor's 2-epoch
// trial continues its 1-epoch checkpoint (its first epoch is the very same
// record, measured time included) and trains one more epoch.
TEST(SearchCli, SuccessiveHalvingContinuesThePromotedTrial) {
  testing::TempDir dir;
  const nlohmann::json job = tiny_float_job(dir);
  const nlohmann::json search = {
      {"space", tiny_space()},
      {"strategy", {{"name", "successive_halving"}, {"min_budget", 1}, {"max_budget", 2}, {"eta", 2}}},
      {"max_trials", 3},
      {"seed", 1},
      {"output", (dir / "search").string()},
      {"evaluator", {{"job", job}, {"from", (dir / "float/checkpoint.pt").string()}, {"validation_folds", 4}}}};
  std::ofstream(dir / "search.json") << search.dump(2);
  auto run = run_bitlab("search " + (dir / "search.json").string() + " -q");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("3 trials requested, 3 newly evaluated"));
  std::filesystem::path e1, e2;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "search/trials")) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with("-e2")) e2 = entry.path();
  }
  ASSERT_FALSE(e2.empty());
  const std::string hash = e2.filename().string().substr(0, e2.filename().string().size() - 3);
  e1 = dir / "search/trials" / (hash + "-e1");
  ASSERT_TRUE(std::filesystem::exists(e1 / "metrics.json"));
  const auto m1 = nlohmann::json::parse(read_text(e1 / "metrics.json"));
  const auto m2 = nlohmann::json::parse(read_text(e2 / "metrics.json"));
  ASSERT_EQ(m1["epochs"].size(), 1u);
  ASSERT_EQ(m2["epochs"].size(), 2u);
  // Carried over, not retrained: a retrained epoch would not take the same measured time.
  EXPECT_EQ(m2["epochs"][0]["seconds"], m1["epochs"][0]["seconds"]);
  EXPECT_EQ(m2["epochs"][0]["train_loss"], m1["epochs"][0]["train_loss"]);
  EXPECT_EQ(m2["config"]["train"]["epochs"], 2);
}

// Bayesian Bits end to end: gates trained for λ = 0 and λ = 100 (which closes
// them: every free knob at its narrowest), each chosen candidate trained as a
// trial, the policy written; a rerun retrains neither gates nor trials.
TEST(SearchCli, BayesianBitsTrainsGatesAndEvaluatesTheirWidths) {
  testing::TempDir dir;
  const nlohmann::json job = tiny_float_job(dir);
  const nlohmann::json search = {
      {"space", tiny_space()},
      {"strategy",
       {{"name", "bayesian_bits"}, {"lambda", {0, 100}}, {"epochs", 2}, {"gate_init", 0.5}, {"gate_lr", 0.3}}},
      {"max_trials", 4},
      {"output", (dir / "search").string()},
      {"evaluator", {{"job", job}, {"from", (dir / "float/checkpoint.pt").string()}, {"validation_folds", 4}}}};
  std::ofstream(dir / "search.json") << search.dump(2);
  auto run = run_bitlab("search " + (dir / "search.json").string() + " -q");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("training Bayesian Bits gates (lambda 100"), HasSubstr("chosen policy: ")));
  const auto gates = nlohmann::json::parse(read_text(dir / "search/bayesian_bits.json"));
  ASSERT_EQ(gates.size(), 2u);
  for (const auto& [key, widths] : gates.items()) {
    if (key.rfind("lambda=100;", 0) != 0) continue;
    EXPECT_EQ(widths["classifier.fc0"]["weights"], 2) << widths.dump();
    EXPECT_EQ(widths["classifier.fc0"]["activations"], 4) << widths.dump();
    EXPECT_EQ(widths["features.conv0_0"]["activations"], 4) << widths.dump();
  }
  const std::string log = read_text(dir / "search/trials.jsonl");
  auto trial = nlohmann::json::parse(log.substr(0, log.find('\n')));
  EXPECT_EQ(trial["strategy"], "bayesian_bits");
  static_cast<void>(train::load_policy(dir / "search/policy.json"));

  auto again = run_bitlab("search " + (dir / "search.json").string() + " -q");
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("0 newly evaluated"));
  EXPECT_THAT(again.output, ::testing::Not(HasSubstr("training Bayesian Bits gates")));
}

}  // namespace
}  // namespace bitlab
