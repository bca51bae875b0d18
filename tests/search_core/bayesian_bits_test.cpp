// The torch-free half of Bayesian Bits (docs/search.md §4.8): the gate
// training's policy, the space check, and the strategy logging the chosen
// widths as trials whose policy `bitlab train` accepts. The quantiser and its
// gates are tested in tests/train/quantizers/bayesian_bits_test.cpp.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "hw/test_graphs.h"
#include "search/core/bayesian_bits.h"
#include "search/core/hw_costs.h"
#include "search/core/run_search.h"
#include "search/core/search_config.h"
#include "search_core/search_test_util.h"
#include "train/policy.h"

namespace bitlab::search {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(std::string name) {
  name += std::to_string(::getpid());  // not "..." + to_string: GCC 12 warns falsely (-Wrestrict)
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  return dir;
}

nlohmann::json config_json(const fs::path& output) {
  auto j = nlohmann::json::parse(R"({
    "space": {"algorithm": "lsq", "weight_bits": [2, 4, 8], "activation_bits": [4, 8],
              "layers": [{"name": "conv1", "activation_point": "relu1"},
                         {"name": "conv2"}, {"name": "fc", "weights": 8}]},
    "front": [{"metric": "accuracy"}, {"metric": "bops"}],
    "strategy": {"name": "bayesian_bits", "lambda": [0.01, 0.1, 1], "epochs": 2, "budget": 1},
    "max_trials": 10, "seed": 4
  })");
  j["output"] = output.string();
  return j;
}

TEST(BayesianBitsSearch, GateTrainingPolicyGatesEveryFreeKnob) {
  const SearchConfig config = parse_search_config(config_json("unused"), "search.json");
  const nlohmann::json json = bayesian_bits_policy(config.space, BayesianBitsOptions{});
  const train::PrecisionPolicy policy = train::parse_policy(json, "gates");
  const auto conv1 = train::resolve_quantizer(policy, "conv1", train::TensorRole::kWeight);
  EXPECT_EQ(conv1.algorithm, "bayesian_bits");
  EXPECT_EQ(conv1.bits, 8);
  EXPECT_EQ(conv1.params.at("min_bits"), 2);
  const auto relu1 = train::resolve_quantizer(policy, "relu1", train::TensorRole::kActivation);
  EXPECT_EQ(relu1.algorithm, "bayesian_bits");
  EXPECT_EQ(relu1.bits, 8);
  EXPECT_EQ(relu1.params.at("min_bits"), 4);
  // A pinned knob keeps the space's algorithm and width.
  const auto fc = train::resolve_quantizer(policy, "fc", train::TensorRole::kWeight);
  EXPECT_EQ(fc.algorithm, "lsq");
  EXPECT_EQ(fc.bits, 8);
}

TEST(BayesianBitsSearch, WidthsMustDouble) {
  auto j = config_json("unused");
  j["space"]["weight_bits"] = {2, 3, 4};
  try {
    parse_search_config(j, "search.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/space/layers"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("double"), std::string::npos) << e.what();
  }
  j = config_json("unused");
  j["strategy"]["lambda"] = -1;
  EXPECT_THROW(parse_search_config(j, "search.json"), ConfigError);
}

TEST(BayesianBitsSearch, WithoutTrainedGatesItIsAConfigError) {
  const fs::path dir = fresh_dir("bitlab_bb_none_");
  const SearchConfig config = parse_search_config(config_json(dir), "search.json");
  testing::FunctionEvaluator eval([](const SearchSpace&, const Genes&, int) { return Evaluation{0.5, {}, 0.0}; });
  EXPECT_THROW(run_search(config, eval, nullptr, false), ConfigError);
  fs::remove_all(dir);
}

// The widths of three gate trainings (two agree) become two trials, and
// policy.json is the better one, a policy `bitlab train` reads.
TEST(BayesianBitsSearch, ChosenWidthsBecomeTrialsAndAPolicy) {
  const fs::path dir = fresh_dir("bitlab_bb_run_");
  auto j = config_json(dir);
  const nlohmann::json wide = {{"conv1", {{"weights", 8}, {"activations", 8}}}, {"conv2", {{"weights", 4}}}, {"fc", {{"weights", 8}}}};
  const nlohmann::json narrow = {{"conv1", {{"weights", 2}, {"activations", 4}}}, {"conv2", {{"weights", 2}}}, {"fc", {{"weights", 8}}}};
  j["strategy"]["widths"] = {wide, wide, narrow};
  const SearchConfig config = parse_search_config(j, "search.json");
  HwCostModel costs(hw::testing::small_net(), {});
  testing::FunctionEvaluator eval([](const SearchSpace& space, const Genes& genes, int) {
    double bits = 0;
    for (std::size_t d = 0; d < genes.size(); ++d) bits += space.knobs[d].bits[static_cast<std::size_t>(genes[d])];
    return Evaluation{bits / 100.0, {}, 0.0};
  });
  const auto summary = run_search(config, eval, &costs, false);
  EXPECT_EQ(eval.calls, 2);
  ASSERT_TRUE(summary.best);
  EXPECT_EQ(to_bits_json(config.space, summary.best->genes), wide);
  const auto policy = train::load_policy(dir / "policy.json");
  EXPECT_EQ(train::weight_bits(policy, "conv1"), 8);
  EXPECT_EQ(train::weight_bits(policy, "conv2"), 4);
  EXPECT_EQ(train::activation_bits(policy, "relu1"), 8);
  EXPECT_TRUE(fs::exists(dir / "front.json"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bitlab::search
