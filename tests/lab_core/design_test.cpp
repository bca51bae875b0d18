#include "lab/core/design.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "lab/core/shard.h"
#include "lab_core/lab_test_util.h"
#include "support/synthetic_dataset.h"

namespace bitlab::lab {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::error_of;
using testing::write_text;

constexpr const char* kDesign = R"({
  "name": "bits-by-algo",
  "base": "configs/base.json",
  "factors": [
    {"name": "bits", "levels": [{"name": "w4", "patch": {"quantization": {"policy": "w4a4"}}},
                                {"name": "w8", "patch": {"quantization": {"policy": "w8a8"}}}]},
    {"name": "algo", "levels": [{"name": "ste", "patch": {"quantization": {"algorithm": "ste"}}},
                                {"name": "lsq", "patch": {"quantization": {"algorithm": "lsq"}}},
                                {"name": "pact", "patch": {"quantization": {"algorithm": "pact"}}}]}
  ],
  "seeds": [1, 2],
  "cross_validation": {"folds": 3, "seed": 7}
})";

std::string design_error(const std::string& text) {
  return error_of([&] { parse_design(nlohmann::json::parse(text), "d.json"); });
}

TEST(Design, ParsesFactorsSeedsFoldsAndTheBaseFile) {
  testing::TempDir dir;
  write_text(dir / "configs/root.json", R"({"train": {"epochs": 15, "seed": 1}})");
  write_text(dir / "configs/base.json", R"({"extends": "root.json", "train": {"epochs": 4}})");
  write_text(dir / "design.json", kDesign);
  Design design = load_design(dir / "design.json");
  EXPECT_EQ(design.name, "bits-by-algo");
  EXPECT_EQ(design.base, nlohmann::json::parse(R"({"train": {"epochs": 4, "seed": 1}})"));
  ASSERT_EQ(design.factors.size(), 2u);
  EXPECT_EQ(design.factors[1].name, "algo");
  EXPECT_EQ(design.factors[1].levels[2].name, "pact");
  EXPECT_EQ(design.factors[0].levels[1].patch, nlohmann::json::parse(R"({"quantization": {"policy": "w8a8"}})"));
  EXPECT_EQ(design.variants.size(), 6u);
  EXPECT_THAT(design.seeds, ElementsAre(1u, 2u));
  ASSERT_TRUE(design.cross_validation.has_value());
  EXPECT_EQ(design.cross_validation->folds, 3);
  EXPECT_EQ(design.cross_validation->seed, 7u);
  EXPECT_EQ(design.seed_pointer, "/train/seed");
}

TEST(Design, DefaultsForAMinimalDesign) {
  Design design = parse_design(nlohmann::json::parse(R"({"base": {"train": {"epochs": 1}}})"), "dir/minimal.json");
  EXPECT_EQ(design.name, "minimal");  // the file's stem
  EXPECT_TRUE(design.factors.empty());
  EXPECT_EQ(design.variants.size(), 1u);
  EXPECT_THAT(design.seeds, ElementsAre(1u));
  EXPECT_FALSE(design.cross_validation.has_value());
}

TEST(Design, FullFactorialVariesTheLastFactorFastest) {
  std::vector<Factor> factors{{"a", {{"a0", {}}, {"a1", {}}}}, {"b", {{"b0", {}}, {"b1", {}}, {"b2", {}}}}};
  std::vector<std::vector<size_t>> expected{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}};
  EXPECT_EQ(full_factorial(factors), expected);
  EXPECT_EQ(full_factorial({}), std::vector<std::vector<size_t>>{{}});
}

TEST(Design, ListedRunsSelectASubset) {
  Design design = parse_design(nlohmann::json::parse(R"({
    "factors": [{"name": "bits", "levels": [{"name": "w4"}, {"name": "w8"}]},
                {"name": "algo", "levels": [{"name": "ste"}, {"name": "lsq"}]}],
    "runs": [{"bits": "w8", "algo": "lsq"}, {"algo": "ste", "bits": "w4"}]})"),
                               "d.json");
  std::vector<std::vector<size_t>> expected{{1, 1}, {0, 0}};
  EXPECT_EQ(design.variants, expected);
}

TEST(Design, ListedRunErrorsNameTheItem) {
  const std::string factors = R"("factors": [{"name": "bits", "levels": [{"name": "w4"}, {"name": "w8"}]},
                                             {"name": "algo", "levels": [{"name": "ste"}]}])";
  EXPECT_THAT(design_error("{" + factors + R"(, "runs": [{"bits": "w4", "algo": "ste"}, {"bits": "w5", "algo": "ste"}]})"),
              AllOf(HasSubstr("d.json: /runs/1/bits: expected one of \"w4\", \"w8\""), HasSubstr("did you mean \"w4\"")));
  EXPECT_THAT(design_error("{" + factors + R"(, "runs": [{"bits": "w4"}]})"),
              HasSubstr("d.json: /runs/0/algo: missing; expected a level of factor \"algo\""));
  EXPECT_THAT(design_error("{" + factors + R"(, "runs": [{"bits": "w4", "algo": "ste", "algos": "x"}]})"),
              AllOf(HasSubstr("/runs/0/algos: unknown key"), HasSubstr("did you mean \"algo\"")));
  EXPECT_THAT(design_error("{" + factors + R"(, "runs": [{"bits": "w4", "algo": "ste"}, {"algo": "ste", "bits": "w4"}]})"),
              HasSubstr("d.json: /runs/1: this combination of levels is listed twice"));
  EXPECT_THAT(design_error("{" + factors + R"(, "runs": []})"), HasSubstr("d.json: /runs: expected a non-empty array"));
}

TEST(Design, SchemaErrorsNameFilePointerAndExpectation) {
  EXPECT_THAT(design_error(R"({"factor": []})"), AllOf(HasSubstr("d.json: /factor: unknown key"),
                                                       HasSubstr("did you mean \"factors\"")));
  EXPECT_THAT(design_error(R"({"factors": [{"name": "bits", "levels": []}]})"),
              HasSubstr("d.json: /factors/0/levels: expected an array of at least one level object"));
  EXPECT_THAT(design_error(R"({"factors": [{"name": "bits", "levels": [{"name": "a/b"}]}]})"),
              HasSubstr("d.json: /factors/0/levels/0/name: expected a name of 1 to 64 letters"));
  EXPECT_THAT(design_error(R"({"factors": [{"name": "bits", "levels": [{"name": "a", "patch": [1]}]}]})"),
              HasSubstr("d.json: /factors/0/levels/0/patch: expected a JSON Merge Patch (an object)"));
  EXPECT_THAT(design_error(R"({"factors": [{"name": "x", "levels": [{"name": "a"}, {"name": "a"}]}]})"),
              HasSubstr("d.json: /factors/0/levels/1/name: level \"a\" appears twice in factor \"x\""));
  EXPECT_THAT(design_error(R"({"factors": [{"name": "x", "levels": [{"name": "a"}]}, {"name": "x", "levels": [{"name": "a"}]}]})"),
              HasSubstr("d.json: /factors/1/name: factor \"x\" appears twice"));
  EXPECT_THAT(design_error(R"({"factors": [3]})"), HasSubstr("d.json: /factors/0: expected an object, got 3"));
  EXPECT_THAT(design_error(R"({"seeds": [1, 1]})"), HasSubstr("d.json: /seeds: expected distinct seeds"));
  EXPECT_THAT(design_error(R"({"seeds": [1, -2]})"), HasSubstr("d.json: /seeds/1: expected an integer in [0, 9007199254740992]"));
  EXPECT_THAT(design_error(R"({"seeds": []})"), HasSubstr("d.json: /seeds: expected an array of at least 1 integers"));
  EXPECT_THAT(design_error(R"({"cross_validation": {"folds": 1}})"),
              HasSubstr("d.json: /cross_validation/folds: expected an integer in [2, 1000], got 1"));
  EXPECT_THAT(design_error(R"({"cross_validation": {"k": 5}})"),
              HasSubstr("d.json: /cross_validation/folds: missing"));
  EXPECT_THAT(design_error(R"({"base": 3})"), HasSubstr("d.json: /base: expected the path of a config file"));
  EXPECT_THAT(design_error(R"({"seed_pointer": "train/seed"})"), HasSubstr("d.json: /seed_pointer: expected a JSON Pointer"));
}

TEST(Design, APatchMayNotSetTheSeed) {
  EXPECT_THAT(design_error(R"({"factors": [{"name": "x", "levels": [{"name": "a"}, {"name": "b", "patch": {"train": {"seed": 3}}}]}]})"),
              HasSubstr("d.json: /factors/0/levels/1/patch/train/seed: sets the seed"));
}

TEST(Design, MissingBaseFileIsNamedWithTheDesign) {
  testing::TempDir dir;
  write_text(dir / "design.json", R"({"base": "nowhere.json"})");
  EXPECT_THAT(error_of([&] { load_design(dir / "design.json"); }),
              AllOf(HasSubstr("design.json: /base: "), HasSubstr("nowhere.json: cannot open config file")));
}

TEST(Shard, ParsesAndPicksEveryNthRun) {
  Shard shard = parse_shard("2/3");
  EXPECT_EQ(shard.number, 2u);
  EXPECT_EQ(shard.count, 3u);
  EXPECT_EQ(shard.to_string(), "2/3");
  std::vector<size_t> picked;
  for (size_t i = 0; i < 8; ++i)
    if (shard.contains(i)) picked.push_back(i);
  EXPECT_THAT(picked, ElementsAre(1u, 4u, 7u));
  EXPECT_TRUE(Shard{}.contains(5));
}

TEST(Shard, RejectsMalformedText) {
  for (const char* bad : {"0/3", "4/3", "3", "a/b", "1/0", "/3", "1/", "-1/3", "1/3x"}) {
    EXPECT_THAT(error_of([&] { parse_shard(bad); }), AllOf(HasSubstr("--shard: expected i/n"), HasSubstr(bad)))
        << bad;
    EXPECT_THROW(parse_shard(bad), ConfigError);
  }
}

}  // namespace
}  // namespace bitlab::lab
