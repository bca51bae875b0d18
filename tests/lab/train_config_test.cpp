#include "lab/train_config.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "lab/core/design.h"
#include "lab/core/expand.h"
#include "train/policy.h"
#include "support/synthetic_dataset.h"

namespace bitlab::lab {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string error_of(const std::string& text) {
  try {
    parse_train_config(nlohmann::json::parse(text), "exp.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(TrainConfig, DefaultsAndOverrides) {
  auto c = parse_train_config(nlohmann::json::parse(R"({
    "name": "x", "data": {"train_limit": 100},
    "model": {"channels": [16, 32], "hidden": 0},
    "train": {"epochs": 2, "optimizer": "sgd", "lr": 0.1, "schedule": "step"}})"),
                              "exp.json");
  EXPECT_EQ(c.name, "x");
  EXPECT_EQ(c.output_dir, "runs/x");
  EXPECT_EQ(c.data.train_limit, 100);
  EXPECT_EQ(c.data.test_limit, 0);
  EXPECT_EQ(c.model.cnn.channels, (std::vector<int64_t>{16, 32}));
  EXPECT_EQ(c.train.optimizer, "sgd");
  EXPECT_EQ(c.train.epochs, 2);
}

TEST(TrainConfig, ResolvedConfigRoundTrips) {
  auto c = parse_train_config(nlohmann::json::parse(R"({"name": "y", "train": {"seed": 9}})"), "exp.json");
  auto again = parse_train_config(to_json(c), "resolved");
  EXPECT_EQ(to_json(again), to_json(c));
}

TEST(TrainConfig, UnknownKeyIsAnError) {
  EXPECT_THAT(error_of(R"({"train": {"epoch": 3}})"),
              AllOf(HasSubstr("exp.json: /train/epoch: unknown key"), HasSubstr("did you mean \"epochs\"")));
  EXPECT_THAT(error_of(R"({"trian": {}})"), HasSubstr("/trian: unknown key"));
}

TEST(TrainConfig, WrongTypeIsAnError) {
  EXPECT_THAT(error_of(R"({"train": {"lr": "fast"}})"),
              AllOf(HasSubstr("exp.json: /train/lr: expected a number"), HasSubstr("\"fast\" (a string)")));
  EXPECT_THAT(error_of(R"({"train": {"augment": 1}})"), HasSubstr("/train/augment: expected true or false"));
  EXPECT_THAT(error_of(R"({"model": []})"), HasSubstr("/model: expected an object"));
}

TEST(TrainConfig, OutOfRangeIsAnError) {
  EXPECT_THAT(error_of(R"({"train": {"epochs": 0}})"), HasSubstr("/train/epochs: expected an integer in [1, 100000], got 0"));
  EXPECT_THAT(error_of(R"({"model": {"dropout": 1.5}})"), HasSubstr("/model/dropout: expected a number in [0, 0.95]"));
  EXPECT_THAT(error_of(R"({"model": {"channels": [8, 0]}})"), HasSubstr("/model/channels/1"));
  EXPECT_THAT(error_of(R"({"train": {"optimizer": "adamx"}})"), HasSubstr("did you mean \"adam"));
  EXPECT_THAT(error_of(R"({"train": {"device": "tpu"}})"), HasSubstr("/train/device"));
  EXPECT_THAT(error_of(R"({"train": {"epochs": 2, "warmup_epochs": 2}})"), HasSubstr("/train/warmup_epochs"));
}

TEST(TrainConfig, LoadNamesTheFile) {
  testing::TempDir dir;
  std::ofstream(dir / "c.json") << R"({"train": {"batch_size": -4}})";
  try {
    load_train_config(dir / "c.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("c.json: /train/batch_size"), HasSubstr("got -4")));
  }
}

TEST(TrainConfig, QuantizationSection) {
  auto c = parse_train_config(nlohmann::json::parse(R"({"quantization": {
      "policy": "w4a4", "algorithm": "lsq", "init": "float", "from": "runs/x/checkpoint.pt",
      "calibration": {"method": "percentile", "batches": 4}}})"), "exp.json");
  EXPECT_TRUE(c.quantization.enabled);
  EXPECT_EQ(c.quantization.policy.algorithm, "lsq");
  EXPECT_EQ(*c.quantization.policy.weights.bits, 4);
  EXPECT_EQ(c.quantization.calibration.method, "percentile");
  auto again = parse_train_config(to_json(c), "resolved");
  EXPECT_EQ(to_json(again), to_json(c));
  EXPECT_FALSE(parse_train_config(nlohmann::json::parse("{}"), "e.json").quantization.enabled);
}

TEST(TrainConfig, QuantizationErrorsNameTheField) {
  EXPECT_THAT(error_of(R"({"quantization": {}})"), HasSubstr("/quantization/policy: missing"));
  EXPECT_THAT(error_of(R"({"quantization": {"policy": "w4q4"}})"), HasSubstr("/quantization/policy"));
  EXPECT_THAT(error_of(R"({"quantization": {"policy": "w4a4", "init": "random"}})"), HasSubstr("/quantization/init"));
  EXPECT_THAT(error_of(R"({"quantization": {"policy": {"weights": 99}}})"), HasSubstr("/quantization/policy: /weights"));
  EXPECT_THAT(error_of(R"({"quantization": {"policy": "w4a4", "calibration": {"method": "max"}}})"),
              HasSubstr("/quantization/calibration/method"));
  EXPECT_THAT(error_of(R"({"quantization": {"policy": "missing-policy.json"}})"), HasSubstr("missing-policy.json: cannot open"));
}

TEST(TrainConfig, BatchNormHandling) {
  auto parse = [](const std::string& text) { return parse_train_config(nlohmann::json::parse(text), "exp.json"); };
  auto fold = parse(R"({"quantization": {"policy": "w4a4"}})");
  EXPECT_EQ(fold.quantization.batchnorm, "fold");
  EXPECT_FALSE(to_json(fold)["quantization"].contains("batchnorm_freeze")) << "only meaningful for train";
  auto train = parse(R"({"quantization": {"policy": "w4a4", "batchnorm": "train", "batchnorm_freeze": 0.75}})");
  EXPECT_EQ(train.quantization.batchnorm, "train");
  EXPECT_DOUBLE_EQ(train.quantization.batchnorm_freeze, 0.75);
  EXPECT_EQ(to_json(parse_train_config(to_json(train), "resolved")), to_json(train));
  EXPECT_DOUBLE_EQ(parse(R"({"quantization": {"policy": "w4a4", "batchnorm": "train"}})").quantization.batchnorm_freeze,
                   0.9);
  auto keep = parse(R"({"quantization": {"policy": "w4a4", "batchnorm": "keep"}})");
  EXPECT_EQ(to_json(parse_train_config(to_json(keep), "resolved")), to_json(keep));
  EXPECT_EQ(to_json(keep)["quantization"]["batchnorm"], "keep");
  // Configs embedded in checkpoints written before "batchnorm" existed.
  EXPECT_EQ(parse(R"({"quantization": {"policy": "w4a4", "fold_bn": false}})").quantization.batchnorm, "keep");
  EXPECT_EQ(parse(R"({"quantization": {"policy": "w4a4", "fold_bn": true}})").quantization.batchnorm, "fold");

  EXPECT_THAT(error_of(R"({"quantization": {"policy": "w4a4", "batchnorm": "folded"}})"),
              AllOf(HasSubstr("exp.json: /quantization/batchnorm: expected one of \"fold\", \"train\", \"keep\""),
                    HasSubstr("did you mean \"fold\"")));
  EXPECT_THAT(error_of(R"({"quantization": {"policy": "w4a4", "batchnorm": true}})"),
              HasSubstr("/quantization/batchnorm: expected one of"));
  EXPECT_THAT(error_of(R"({"quantization": {"policy": "w4a4", "batchnorm": "train", "batchnorm_freeze": 1.5}})"),
              HasSubstr("/quantization/batchnorm_freeze: expected a number in [0, 1]"));
  EXPECT_THAT(error_of(R"({"quantization": {"policy": "w4a4", "batchnorm_freeze": 0.5}})"),
              HasSubstr("/quantization/batchnorm_freeze: expected batchnorm_freeze only with batchnorm \"train\""));
  EXPECT_THAT(error_of(R"({"quantization": {"policy": "w4a4", "batchnorm": "keep", "fold_bn": true}})"),
              HasSubstr("/quantization/fold_bn"));
}

TEST(TrainConfig, ExtendsABaseConfigWithAMergePatch) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "base.json") << R"({"name": "base", "model": {"channels": [16, 32], "hidden": 64},
    "train": {"epochs": 7, "lr": 0.01}, "quantization": {"policy": "w4a4"}})";
  std::ofstream(dir / "sub/child.json") << R"({"extends": "../base.json", "name": "child",
    "model": {"channels": [8]}, "train": {"epochs": 2}, "quantization": null})";
  auto c = load_train_config(dir / "sub/child.json");
  EXPECT_EQ(c.name, "child");
  EXPECT_EQ(c.model.cnn.channels, (std::vector<int64_t>{8}));  // arrays replace, they do not merge
  EXPECT_EQ(c.model.cnn.hidden, 64);                           // kept from the base
  EXPECT_EQ(c.train.epochs, 2);
  EXPECT_DOUBLE_EQ(c.train.lr, 0.01);
  EXPECT_FALSE(c.quantization.enabled);  // null removed the base's quantisation
  // The merged config is still checked strictly, and errors name the child.
  std::ofstream(dir / "sub/typo.json") << R"({"extends": "../base.json", "train": {"epoch": 2}})";
  try {
    load_train_config(dir / "sub/typo.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("typo.json: /train/epoch"), HasSubstr("did you mean \"epochs\"")));
  }
  std::ofstream(dir / "sub/missing.json") << R"({"extends": "nowhere.json"})";
  EXPECT_THAT(([&] {
                try {
                  load_train_config(dir / "sub/missing.json");
                } catch (const ConfigError& e) {
                  return std::string(e.what());
                }
                return std::string("no error");
              }()),
              AllOf(HasSubstr("missing.json: /extends"), HasSubstr("nowhere.json")));
}

// Every shipped experiment design expands into runs whose configs are valid train configs.
TEST(TrainConfig, ShippedDesignsExpandIntoValidConfigs) {
  const auto root = std::filesystem::path(BITLAB_SOURCE_DIR) / "configs" / "designs";
  int designs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (entry.path().extension() != ".json") continue;
    ExpandOptions options;
    options.validate = [](const nlohmann::json& config) { parse_train_config(config, "resolved config"); };
    std::vector<lab::Run> runs;
    EXPECT_NO_THROW(runs = expand(load_design(entry.path()), options)) << entry.path();
    EXPECT_FALSE(runs.empty()) << entry.path();
    ++designs;
  }
  EXPECT_GE(designs, 1);
}

// configs/policies/ holds precision policies (docs/policies.md), configs/designs/
// experiment designs (docs/lab.md, checked above), configs/search/ search
// configs (docs/search.md, checked in tests/search_core), every other JSON file under
// configs/ is an experiment config; each must load as its kind.
TEST(TrainConfig, ShippedConfigsAreValid) {
  const auto root = std::filesystem::path(BITLAB_SOURCE_DIR) / "configs";
  int configs = 0;
  int policies = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".json") continue;
    if (entry.path().parent_path().filename() == "designs") continue;
    if (entry.path().parent_path().filename() == "search") continue;  // search configs: tests/search_core
    if (entry.path().parent_path().filename() == "policies") {
      EXPECT_NO_THROW(train::load_policy(entry.path())) << entry.path();
      ++policies;
    } else {
      EXPECT_NO_THROW(load_train_config(entry.path())) << entry.path();
      ++configs;
    }
  }
  EXPECT_GE(configs, 16);
  EXPECT_GE(policies, 1);
}

}  // namespace
}  // namespace bitlab::lab
