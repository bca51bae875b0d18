#include <gtest/gtest.h>

#include "common/error.h"
#include "hw/cost_report.h"
#include "hw/test_graphs.h"
#include "search/core/hw_costs.h"
#include "search/core/space.h"
#include "train/policy.h"

namespace bitlab::search {
namespace {

nlohmann::json small_space_json() {
  return nlohmann::json::parse(R"({
    "algorithm": "lsq", "default": "w8a8", "input": 8,
    "weight_bits": [8, 2, 4], "activation_bits": [4, 8],
    "layers": [
      {"name": "conv1", "activation_point": "relu1"},
      {"name": "conv2", "weights": [4, 8]},
      {"name": "fc", "weights": 8}
    ]})");
}

TEST(SearchSpace, ParsesKnobsSortedAndPinned) {
  const SearchSpace space = parse_space(small_space_json(), "cfg.json", "/space");
  ASSERT_EQ(space.knobs.size(), 4u);  // conv1 w, conv1 a, conv2 w, fc w (pinned)
  EXPECT_EQ(space.knobs[0].bits, (std::vector<int>{2, 4, 8}));
  EXPECT_FALSE(space.knobs[1].weights);
  EXPECT_EQ(space.knobs[3].bits, (std::vector<int>{8}));
  EXPECT_EQ(space.size(), 3u * 2u * 2u * 1u);
  EXPECT_EQ(space.algorithm, "lsq");
}

TEST(SearchSpace, IndexRoundTripsOverTheWholeSpace) {
  const SearchSpace space = parse_space(small_space_json(), "cfg.json", "");
  std::set<std::string> keys;
  for (std::uint64_t i = 0; i < space.size(); ++i) {
    const Genes g = space.from_index(i);
    ASSERT_TRUE(space.valid(g));
    EXPECT_EQ(space.index_of(g), i);
    keys.insert(canonical_key(space, g));
    EXPECT_EQ(from_bits_json(space, to_bits_json(space, g), "t"), g);
  }
  EXPECT_EQ(keys.size(), space.size());  // keys are distinct
}

TEST(SearchSpace, CanonicalKeyAndAssignment) {
  const SearchSpace space = parse_space(small_space_json(), "cfg.json", "");
  const Genes g{1, 0, 0, 0};  // conv1 w4 a4, conv2 w4, fc w8
  EXPECT_EQ(canonical_key(space, g), "conv1=w4a4;conv2=w4;fc=w8");
  const auto a = to_assignment(space, g);
  EXPECT_EQ(a.of("conv1"), (hw::LayerPrecision{4, 8}));
  EXPECT_EQ(a.of("relu1"), (hw::LayerPrecision{8, 4}));
  EXPECT_EQ(a.of("conv2").weight_bits, 4);
  EXPECT_EQ(a.of("avg"), (hw::LayerPrecision{8, 8}));  // the default
}

TEST(SearchSpace, PolicyJsonIsAcceptedByTheTrainPolicyParser) {
  const SearchSpace space = parse_space(small_space_json(), "cfg.json", "");
  const Genes g{0, 0, 1, 0};  // conv1 w2 a4, conv2 w8
  const auto policy = train::parse_policy(to_policy_json(space, g), "policy.json");
  EXPECT_EQ(policy.algorithm, "lsq");
  EXPECT_EQ(train::weight_bits(policy, "conv1"), 2);
  EXPECT_EQ(train::activation_bits(policy, "relu1"), 4);
  EXPECT_EQ(train::weight_bits(policy, "conv2"), 8);
  EXPECT_EQ(train::weight_bits(policy, "fc"), 8);
  EXPECT_EQ(train::activation_bits(policy, "other"), 8);
}

TEST(SearchSpace, ErrorsNameFileAndPointer) {
  auto json = small_space_json();
  json["layers"][1]["weights"] = {4, 64};
  try {
    parse_space(json, "cfg.json", "/space");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cfg.json: /space/layers/1/weights"), std::string::npos) << e.what();
  }
  json = small_space_json();
  json["layers"][2]["activations"] = 4;  // no activation point
  EXPECT_THROW(parse_space(json, "cfg.json", "/space"), ConfigError);
  json = small_space_json();
  json["layerz"] = 1;
  EXPECT_THROW(parse_space(json, "cfg.json", "/space"), ConfigError);
}

TEST(SearchSpace, BitsJsonRejectsWidthsOutsideTheSpace) {
  const SearchSpace space = parse_space(small_space_json(), "cfg.json", "");
  auto bits = to_bits_json(space, Genes{0, 0, 0, 0});
  bits["conv2"]["weights"] = 2;
  EXPECT_THROW(from_bits_json(space, bits, "log:3"), ConfigError);
}

TEST(HwCostModel, FlattensTheCostReportOfTheCandidate) {
  const SearchSpace space = parse_space(small_space_json(), "cfg.json", "");
  HwCostModel model(hw::testing::small_net(), {});
  const Genes low{0, 0, 0, 0}, high{2, 1, 1, 0};
  const auto c_low = model.costs(to_assignment(space, low));
  const auto c_high = model.costs(to_assignment(space, high));
  const auto expected =
      flatten_costs(hw::cost_report(hw::extract_layers(hw::testing::small_net(), to_assignment(space, low))));
  EXPECT_EQ(c_low, expected);
  EXPECT_LT(c_low.at("bops"), c_high.at("bops"));
  EXPECT_LT(c_low.at("weight_bytes"), c_high.at("weight_bytes"));
  EXPECT_EQ(c_low.at("macs"), c_high.at("macs"));
  EXPECT_FALSE(c_low.count("energy_pj"));  // no energy table configured
}

}  // namespace
}  // namespace bitlab::search
