#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "hw/test_graphs.h"
#include "search/core/hw_costs.h"
#include "search/core/pareto.h"
#include "search/core/run_search.h"
#include "search_core/search_test_util.h"
#include "support/xml_check.h"
#include "train/policy.h"

namespace bitlab::search {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("bitlab_search_run_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

nlohmann::json config_json(const fs::path& output, const std::string& strategy) {
  auto j = nlohmann::json::parse(R"({
    "space": {"algorithm": "ste", "weight_bits": [2, 4, 8], "activation_bits": [4, 8],
              "layers": [{"name": "conv1", "activation_point": "relu1"},
                         {"name": "conv2"}, {"name": "fc", "weights": [4, 8]}]},
    "objective": {"forgiving": {"cost": "total_bits", "delta_p": 8, "delta_n": 8, "rate": 2},
                  "budgets": {"weight_bytes": 300}},
    "front": [{"metric": "accuracy"}, {"metric": "bops"}],
    "max_trials": 20, "seed": 4
  })");
  j["output"] = output.string();
  j["strategy"] = {{"name", strategy}};
  return j;
}

// Accuracy grows with the widths and saturates: Σ_d (1 − 2^(−bits_d)) / D.
Evaluation saturating(const SearchSpace& space, const Genes& genes, int) {
  double acc = 0.0;
  for (std::size_t d = 0; d < genes.size(); ++d)
    acc += 1.0 - std::pow(2.0, -space.knobs[d].bits[static_cast<std::size_t>(genes[d])]);
  return {acc / static_cast<double>(genes.size()), {}, 0.0};
}

TEST(RunSearch, WritesTrialsFrontAndAPolicyTrainAcceptsAndResumes) {
  const auto dir = fresh_dir("gp");
  const SearchConfig config = parse_search_config(config_json(dir, "gp_bo"), "search.json");
  HwCostModel costs(hw::testing::small_net(), {});
  testing::FunctionEvaluator eval(saturating);
  const auto summary = run_search(config, eval, &costs, false);
  EXPECT_EQ(summary.requests, 20);
  EXPECT_EQ(summary.evaluated, 20);
  EXPECT_EQ(summary.logged, 20);
  ASSERT_TRUE(summary.best);
  for (const char* file : {"trials.jsonl", "front.json", "front.svg", "policy.json"}) EXPECT_TRUE(fs::exists(dir / file)) << file;

  // The chosen policy is a policy file `bitlab train --policy` reads.
  const auto policy = train::load_policy(dir / "policy.json");
  const auto bits = to_bits_json(config.space, summary.best->genes);
  EXPECT_EQ(train::weight_bits(policy, "conv1"), bits["conv1"]["weights"].get<int>());
  EXPECT_EQ(train::activation_bits(policy, "relu1"), bits["conv1"]["activations"].get<int>());
  EXPECT_LE(summary.best->evaluation.costs.at("weight_bytes"), 300.0);

  // The front is non-dominated in (accuracy ↑, bops ↓) and sorted by accuracy.
  nlohmann::json front;
  std::ifstream(dir / "front.json") >> front;
  ASSERT_FALSE(front["trials"].empty());
  std::vector<Point> points;
  for (const auto& t : front["trials"]) points.push_back({-t["accuracy"].get<double>(), t["costs"]["bops"].get<double>()});
  EXPECT_EQ(pareto_front(points).size(), points.size());
  for (std::size_t i = 1; i < points.size(); ++i) EXPECT_GE(-points[i][0], -points[i - 1][0]);
  train::parse_policy(front["trials"][0]["policy"], "front.json");
  std::ifstream svg_file(dir / "front.svg");
  const std::string svg((std::istreambuf_iterator<char>(svg_file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bitlab::testing::xml_problem(svg), "");
  EXPECT_NE(svg.find("front"), std::string::npos);

  // Rerun: everything comes from the log.
  testing::FunctionEvaluator again(saturating);
  const auto resumed = run_search(config, again, &costs, false);
  EXPECT_EQ(again.calls, 0);
  EXPECT_EQ(resumed.evaluated, 0);
  EXPECT_EQ(resumed.best->key, summary.best->key);
}

TEST(RunSearch, SkipsTrainingCandidatesThatBreakACostBudget) {
  const auto dir = fresh_dir("skip");
  auto j = config_json(dir, "random");
  j["objective"]["budgets"]["weight_bytes"] = 150;  // only the narrowest candidates fit
  const SearchConfig config = parse_search_config(j, "search.json");
  HwCostModel costs(hw::testing::small_net(), {});
  testing::FunctionEvaluator eval(saturating);
  const auto summary = run_search(config, eval, &costs, false);
  int skipped = 0;
  TrialLog log(dir / "trials.jsonl", config.space);
  for (const auto& t : log.trials()) {
    skipped += t.skipped;
    EXPECT_EQ(t.skipped, t.evaluation.costs.at("weight_bytes") > 150.0);
  }
  EXPECT_GT(skipped, 0);
  EXPECT_EQ(eval.calls, summary.requests - skipped);
}

TEST(RunSearch, ReferenceCostIsEveryLayerAtReferenceBits) {
  const SearchConfig config = parse_search_config(config_json(fresh_dir("ref"), "random"), "search.json");
  HwCostModel costs(hw::testing::small_net(), {});
  ForgivingFactor f;
  f.reference_bits = 8;
  const double expected = costs.costs(hw::PrecisionAssignment::uniform(8, 8)).at("total_bits");
  EXPECT_DOUBLE_EQ(reference_cost(config.space, costs, f), expected);
}

TEST(SearchConfig, EveryStrategyParsesAndBadOptionsAreNamed) {
  const auto dir = fresh_dir("cfg");
  for (const char* name : {"random", "gp_bo", "hyperband", "successive_halving", "nsga2"})
    EXPECT_EQ(make_strategy(parse_search_config(config_json(dir, name), "s.json"))->name(), name);

  auto j = config_json(dir, "hawq");
  j["strategy"]["sensitivity"] = {{"conv1", {{"w2a4", 9}, {"w2a8", 8}, {"w4a4", 3}, {"w4a8", 2}, {"w8a4", 1}, {"w8a8", 0.5}}},
                                  {"conv2", {{"w2", 5}, {"w4", 1}, {"w8", 0.1}}},
                                  {"fc", {{"w4", 2}, {"w8", 1}}}};
  EXPECT_EQ(make_strategy(parse_search_config(j, "s.json"))->name(), "hawq");
  j["strategy"]["sensitivity"]["conv2"].erase("w8");
  EXPECT_THROW(parse_search_config(j, "s.json"), ConfigError);

  j = config_json(dir, "gp_bo");
  j["strategy"]["initail"] = 3;  // a typo
  try {
    parse_search_config(j, "s.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/strategy"), std::string::npos) << e.what();
  }
  j = config_json(dir, "annealing");
  EXPECT_THROW(parse_search_config(j, "s.json"), ConfigError);
  j = config_json(dir, "random");
  j["space"]["layers"][0]["name"] = 3;
  EXPECT_THROW(parse_search_config(j, "s.json"), ConfigError);
}

TEST(RunSearch, HawqRefusesBudgetsNoAllocationMeets) {
  auto j = config_json(fresh_dir("hawq"), "hawq");
  j["objective"]["budgets"]["weight_bytes"] = 10;  // below even the 2-bit network
  j["strategy"]["sensitivity"] = {{"conv1", {{"w2a4", 9}, {"w2a8", 8}, {"w4a4", 3}, {"w4a8", 2}, {"w8a4", 1}, {"w8a8", 0.5}}},
                                  {"conv2", {{"w2", 5}, {"w4", 1}, {"w8", 0.1}}},
                                  {"fc", {{"w4", 2}, {"w8", 1}}}};
  HwCostModel costs(hw::testing::small_net(), {});
  testing::FunctionEvaluator eval(saturating);
  EXPECT_THROW(run_search(parse_search_config(j, "s.json"), eval, &costs, false), std::runtime_error);
  EXPECT_EQ(eval.calls, 0);
}

TEST(RunSearch, NamesALayerTheNetworkLacks) {
  auto j = config_json(fresh_dir("missing"), "random");
  j["space"]["layers"][1]["name"] = "conv9";
  HwCostModel costs(hw::testing::small_net(), {});
  testing::FunctionEvaluator eval(saturating);
  try {
    run_search(parse_search_config(j, "s.json"), eval, &costs, false);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("conv9"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/space/layers"), std::string::npos) << e.what();
  }
  EXPECT_EQ(eval.calls, 0);
}

TEST(SearchConfig, FreeBitsReadsItsLatencyTable) {
  const auto dir = fresh_dir("fb");
  fs::create_directories(dir);
  std::ofstream(dir / "latency.json") << R"({"layers": {"conv2": [{"weights": 2, "activations": 8, "latency": 3},
                                                               {"weights": 4, "activations": 8, "latency": 2}]}})";
  auto j = config_json(dir, "free_bits");
  j["strategy"]["latency_table"] = (dir / "latency.json").string();
  HwCostModel costs(hw::testing::small_net(), {});
  testing::FunctionEvaluator eval(saturating);
  j["strategy"]["start"] = {{"conv1", {{"weights", 2}, {"activations", 4}}}, {"conv2", {{"weights", 2}}}, {"fc", {{"weights", 4}}}};
  const auto summary = run_search(parse_search_config(j, "s.json"), eval, &costs, false);
  // conv2 moved from w2 to w4 (faster); nothing else is in the table.
  ASSERT_TRUE(summary.best);
  TrialLog log(dir / "trials.jsonl", parse_search_config(j, "s.json").space);
  EXPECT_NE(log.find("conv1=w2a4;conv2=w4;fc=w4", 1), nullptr);
}

// Scores a flat reference by its widths, like `saturating` scores candidates.
class ReferenceEvaluator : public testing::FunctionEvaluator {
 public:
  ReferenceEvaluator() : FunctionEvaluator(saturating) {}
  Evaluation evaluate_policy(const nlohmann::json& policy, const std::string& key, int budget) override {
    ++policy_calls;
    keys.push_back(key);
    budgets.push_back(budget);
    const int w = policy.at("weights").get<int>();
    return {1.0 - std::pow(2.0, -w), {}, 0.0};
  }
  int policy_calls = 0;
  std::vector<std::string> keys;
  std::vector<int> budgets;
};

TEST(RunSearch, FlatReferencesAreEvaluatedCostedCachedAndDrawn) {
  const auto dir = fresh_dir("flat");
  auto j = config_json(dir, "random");
  j["references"] = {"w8a8", "w2a4"};
  j["strategy"]["budget"] = 2;
  const SearchConfig config = parse_search_config(j, "search.json");
  ASSERT_EQ(config.references.size(), 2u);
  HwCostModel costs(hw::testing::small_net(), {});
  ReferenceEvaluator eval;
  const auto summary = run_search(config, eval, &costs, false);
  ASSERT_EQ(summary.references.size(), 2u);
  EXPECT_EQ(eval.keys, (std::vector<std::string>{"flat-w8a8", "flat-w2a4"}));
  EXPECT_EQ(eval.budgets, (std::vector<int>{2, 2}));  // the candidates' budget
  // Costs are those of every layer at the reference's widths.
  EXPECT_DOUBLE_EQ(summary.references[0].evaluation.costs.at("total_bits"),
                   costs.costs(hw::PrecisionAssignment::uniform(8, 8)).at("total_bits"));
  EXPECT_DOUBLE_EQ(summary.references[1].evaluation.costs.at("bops"),
                   costs.costs(hw::PrecisionAssignment::uniform(2, 4)).at("bops"));
  nlohmann::json front;
  std::ifstream(dir / "front.json") >> front;
  ASSERT_EQ(front["references"].size(), 2u);
  EXPECT_EQ(front["references"][1]["label"], "w2a4");
  EXPECT_DOUBLE_EQ(front["references"][0]["accuracy"].get<double>(), 1.0 - std::pow(2.0, -8));
  std::ifstream svg_file(dir / "front.svg");
  const std::string svg((std::istreambuf_iterator<char>(svg_file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bitlab::testing::xml_problem(svg), "");
  EXPECT_NE(svg.find("flat w2a4"), std::string::npos);

  // A rerun takes them from references.json.
  ReferenceEvaluator again;
  const auto resumed = run_search(config, again, &costs, false);
  EXPECT_EQ(again.policy_calls, 0);
  EXPECT_EQ(resumed.references.size(), 2u);
}

TEST(SearchConfig, BadFlatReferencesAreNamed) {
  for (const nlohmann::json& bad : {nlohmann::json("w8a8"), nlohmann::json({"w8"}), nlohmann::json({"w0a8"}),
                                    nlohmann::json({"w8a17"}), nlohmann::json({8})}) {
    auto j = config_json(fresh_dir("badref"), "random");
    j["references"] = bad;
    try {
      parse_search_config(j, "s.json");
      ADD_FAILURE() << bad.dump();
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("/references"), std::string::npos) << e.what();
    }
  }
}

TEST(RunSearch, AnEvaluatorWithoutPoliciesRefusesReferencesClearly) {
  auto j = config_json(fresh_dir("noref"), "random");
  j["references"] = {"w4a4"};
  j["max_trials"] = 2;
  HwCostModel costs(hw::testing::small_net(), {});
  testing::FunctionEvaluator eval(saturating);
  EXPECT_THROW(run_search(parse_search_config(j, "s.json"), eval, &costs, false), ConfigError);
}

}  // namespace
}  // namespace bitlab::search

// The shipped search configs (configs/search/) must load as search configs;
// tests/lab's ShippedConfigsAreValid leaves them to this test.
TEST(SearchConfig, ShippedConfigsLoad) {
  const auto root = std::filesystem::path(BITLAB_SOURCE_DIR) / "configs" / "search";
  int loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (entry.path().extension() != ".json") continue;
    // "sensitivity": "hessian" is resolved by `bitlab search` (LibTorch) into the
    // table the core parses; that path is tested in tests/apps/search_cli_test.cpp.
    std::ifstream in(entry.path());
    const auto json = nlohmann::json::parse(in);
    if (json.contains("strategy") && json["strategy"].value("sensitivity", nlohmann::json()) == "hessian") continue;
    EXPECT_NO_THROW(bitlab::search::load_search_config(entry.path())) << entry.path();
    ++loaded;
  }
  EXPECT_GE(loaded, 2);
}
