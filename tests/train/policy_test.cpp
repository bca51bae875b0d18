#include "train/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace bitlab::train {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

PrecisionPolicy parse(const std::string& text) { return parse_policy(nlohmann::json::parse(text), "p.json"); }

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Policy, ShorthandAndDefaults) {
  auto p = parse(R"("w4a8")");
  auto w = resolve_quantizer(p, "features.conv0_0", TensorRole::kWeight);
  auto a = resolve_quantizer(p, "features.relu0_0", TensorRole::kActivation);
  EXPECT_EQ(w.bits, 4);
  EXPECT_EQ(a.bits, 8);
  EXPECT_EQ(w.granularity, quant::Granularity::PerChannel);
  EXPECT_EQ(a.granularity, quant::Granularity::PerTensor);
  EXPECT_TRUE(w.is_signed);
  EXPECT_TRUE(w.narrow_range);
  EXPECT_EQ(w.algorithm, "ste");
  auto in = resolve_input_quantizer(p);
  EXPECT_EQ(in.bits, 8);
  EXPECT_TRUE(in.is_signed);
}

TEST(Policy, RulesOverrideInOrderAndRegexMatchesWholeName) {
  auto p = parse(R"({"algorithm": "lsq", "default": "w4a4",
    "layers": [{"match": "re:features\\..*", "weights": 2},
               {"match": "features.conv0_0", "weights": {"bits": 8, "algorithm": "ste", "granularity": "per_tensor"}},
               {"match": "re:relu", "activations": 2}]})");
  EXPECT_EQ(weight_bits(p, "features.conv1_0"), 2);
  auto first = resolve_quantizer(p, "features.conv0_0", TensorRole::kWeight);
  EXPECT_EQ(first.bits, 8);
  EXPECT_EQ(first.algorithm, "ste");
  EXPECT_EQ(first.granularity, quant::Granularity::PerTensor);
  EXPECT_EQ(weight_bits(p, "classifier.fc0"), 4);
  EXPECT_EQ(resolve_quantizer(p, "classifier.fc0", TensorRole::kWeight).algorithm, "lsq");
  // "re:relu" must match the whole name, so it matches nothing here.
  EXPECT_EQ(activation_bits(p, "features.relu0_0"), 4);
}

TEST(Policy, UnusedRuleIsAnErrorNamingIt) {
  auto p = parse(R"({"layers": [{"match": "features.conv9", "weights": 2}]})");
  std::vector<bool> used(1, false);
  resolve_quantizer(p, "features.conv0_0", TensorRole::kWeight, &used);
  try {
    check_all_rules_used(p, used, {"features.conv0_0", "features.conv1_0"});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("p.json: /layers/0/match"), HasSubstr("\"features.conv9\" names no quantisable layer"),
                                HasSubstr("features.conv0_0")));
  }
}

TEST(Policy, BadInputIsAClearError) {
  EXPECT_THAT(error_of(R"("w4x4")"), HasSubstr("shorthand like"));
  EXPECT_THAT(error_of(R"("w40a4")"), HasSubstr("bits must be 1 to 16"));
  EXPECT_THAT(error_of(R"({"weights": {"bits": 0}})"), HasSubstr("/weights/bits: expected an integer in [1, 16]"));
  EXPECT_THAT(error_of(R"({"algorithm": "lsk"})"), HasSubstr("did you mean \"lsq\""));
  EXPECT_THAT(error_of(R"({"layers": [{"match": "x"}]})"), HasSubstr("/layers/0"));
  EXPECT_THAT(error_of(R"({"layers": [{"match": "re:(", "weights": 4}]})"), HasSubstr("regular expression"));
  EXPECT_THAT(error_of(R"({"layers": [{"match": "a", "wieghts": 4}]})"), HasSubstr("unknown key \"wieghts\""));
  EXPECT_THAT(error_of(R"({"weights": {"granularity": "per_row"}})"), HasSubstr("/weights/granularity"));
}

TEST(Policy, RoundTripsThroughJson) {
  auto p = parse(R"({"algorithm": "pact", "weights": {"bits": 4, "params": {"alpha": 3}}, "activations": 2,
                     "layers": [{"match": "a", "weights": 8}]})");
  auto again = parse_policy(to_json(p), "again");
  EXPECT_EQ(to_json(again), to_json(p));
  EXPECT_EQ(resolve_quantizer(again, "x", TensorRole::kWeight).params, nlohmann::json({{"alpha", 3}}));
}

}  // namespace
}  // namespace bitlab::train
