#include "lab/core/expand.h"

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "lab_core/lab_test_util.h"

namespace bitlab::lab {
namespace {

// Inside TEST bodies a plain `Run` names testing::Test::Run, hence lab::Run below.

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::error_of;

Design two_by_two(std::optional<CrossValidation> cv = std::nullopt) {
  return parse_design(nlohmann::json::parse(R"({
    "base": {"train": {"epochs": 2, "lr": 0.1}, "quantization": {"policy": "w8a8", "algorithm": "ste"}},
    "factors": [{"name": "bits", "levels": [{"name": "w4", "patch": {"quantization": {"policy": "w4a4"}}},
                                            {"name": "w8"}]},
                {"name": "lr", "levels": [{"name": "low", "patch": {"train": {"lr": 0.01}}},
                                          {"name": "float", "patch": {"quantization": null}}]}],
    "seeds": [3, 5]})"),
                                     "d.json");
}

TEST(Expand, ResolvesEachRunsConfigFromBaseLevelsAndSeed) {
  std::vector<lab::Run> runs = expand(two_by_two());
  ASSERT_EQ(runs.size(), 8u);  // 2 x 2 variants x 2 seeds
  const lab::Run& first = runs[0];
  EXPECT_EQ(first.index, 0u);
  EXPECT_EQ(first.variant, "bits=w4,lr=low");
  EXPECT_EQ(first.id, "bits=w4,lr=low/seed=3");
  EXPECT_EQ(first.seed, 3u);
  EXPECT_FALSE(first.fold.has_value());
  EXPECT_EQ(first.config, nlohmann::json::parse(R"({"train": {"epochs": 2, "lr": 0.01, "seed": 3},
                                                    "quantization": {"policy": "w4a4", "algorithm": "ste"}})"));
  // Level "w8" patches nothing; "float" removes quantisation altogether.
  const lab::Run& float_run = runs[7];
  EXPECT_EQ(float_run.id, "bits=w8,lr=float/seed=5");
  EXPECT_EQ(float_run.config, nlohmann::json::parse(R"({"train": {"epochs": 2, "lr": 0.1, "seed": 5}})"));
  EXPECT_EQ(float_run.levels, (std::vector<LevelChoice>{{"bits", "w8"}, {"lr", "float"}}));
}

TEST(Expand, SeedsOutermostThenFoldsThenVariants) {
  Design design = two_by_two();
  design.cross_validation = CrossValidation{3, 11};
  std::vector<lab::Run> runs = expand(design);
  ASSERT_EQ(runs.size(), 2u * 3u * 4u);
  std::set<std::string> ids;
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].index, i);
    EXPECT_EQ(runs[i].seed, i < 12 ? 3u : 5u);
    ASSERT_TRUE(runs[i].fold.has_value());
    EXPECT_EQ(runs[i].fold->fold_index, static_cast<int>((i / 4) % 3));
    EXPECT_EQ(runs[i].fold->fold_count, 3);
    EXPECT_EQ(runs[i].fold->split_seed, 11u);
    ids.insert(runs[i].id);
  }
  EXPECT_EQ(ids.size(), runs.size());  // ids are unique
  EXPECT_EQ(runs[5].id, "bits=w4,lr=float/seed=3/fold=1");
}

TEST(Expand, DesignWithoutFactorsIsTheBaseVariant) {
  Design design = parse_design(nlohmann::json::parse(R"({"base": {"a": 1}, "seeds": [1, 2, 3],
                                                         "seed_pointer": "/deep/seed"})"),
                               "d.json");
  std::vector<lab::Run> runs = expand(design);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[2].id, "base/seed=3");
  EXPECT_EQ(runs[2].config, nlohmann::json::parse(R"({"a": 1, "deep": {"seed": 3}})"));
}

TEST(Expand, IsDeterministic) {
  Design design = two_by_two(CrossValidation{2, 0});
  std::vector<lab::Run> a = expand(design), b = expand(design);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].config, b[i].config);
  }
}

TEST(Expand, ValidatorErrorsNameTheDesignAndTheRun) {
  ExpandOptions options;
  options.validate = [](const nlohmann::json& config) {
    if (config.at("train").at("lr").get<double>() < 0.05) throw ConfigError("cfg: /train/lr: expected at least 0.05, got 0.01");
  };
  EXPECT_THAT(error_of([&] { expand(two_by_two(), options); }),
              AllOf(HasSubstr("d.json: run \"bits=w4,lr=low/seed=3\": cfg: /train/lr: expected at least 0.05")));
}

TEST(Expand, SeedPointerThroughANonObjectIsAnError) {
  Design design = parse_design(nlohmann::json::parse(R"({"base": {"train": 3}})"), "d.json");
  EXPECT_THAT(error_of([&] { expand(design); }),
              AllOf(HasSubstr("d.json: /seed_pointer: run \"base/seed=1\": cannot write the seed at \"/train/seed\"")));
}

}  // namespace
}  // namespace bitlab::lab
