#include "lab/core/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "lab_core/lab_test_util.h"
#include "support/synthetic_dataset.h"

namespace bitlab::lab {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::error_of;
using testing::write_text;

nlohmann::json patched(const char* target, const char* patch) {
  return apply_merge_patch(nlohmann::json::parse(target), nlohmann::json::parse(patch));
}

// The examples of RFC 7386, Appendix A.
TEST(MergePatch, FollowsRfc7386AppendixA) {
  EXPECT_EQ(patched(R"({"a":"b"})", R"({"a":"c"})"), nlohmann::json::parse(R"({"a":"c"})"));
  EXPECT_EQ(patched(R"({"a":"b"})", R"({"b":"c"})"), nlohmann::json::parse(R"({"a":"b","b":"c"})"));
  EXPECT_EQ(patched(R"({"a":"b"})", R"({"a":null})"), nlohmann::json::parse(R"({})"));
  EXPECT_EQ(patched(R"({"a":"b","b":"c"})", R"({"a":null})"), nlohmann::json::parse(R"({"b":"c"})"));
  EXPECT_EQ(patched(R"({"a":["b"]})", R"({"a":"c"})"), nlohmann::json::parse(R"({"a":"c"})"));
  EXPECT_EQ(patched(R"({"a":"c"})", R"({"a":["b"]})"), nlohmann::json::parse(R"({"a":["b"]})"));
  EXPECT_EQ(patched(R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})"), nlohmann::json::parse(R"({"a":{"b":"d"}})"));
  EXPECT_EQ(patched(R"({"a":[{"b":"c"}]})", R"({"a":[1]})"), nlohmann::json::parse(R"({"a":[1]})"));
  EXPECT_EQ(patched(R"(["a","b"])", R"(["c","d"])"), nlohmann::json::parse(R"(["c","d"])"));
  EXPECT_EQ(patched(R"({"a":"b"})", R"(["c"])"), nlohmann::json::parse(R"(["c"])"));
  EXPECT_EQ(patched(R"({"e":null})", R"({"a":1})"), nlohmann::json::parse(R"({"e":null,"a":1})"));
  EXPECT_EQ(patched(R"([1,2])", R"({"a":"b","c":null})"), nlohmann::json::parse(R"({"a":"b"})"));
  EXPECT_EQ(patched(R"({})", R"({"a":{"bb":{"ccc":null}}})"), nlohmann::json::parse(R"({"a":{"bb":{}}})"));
}

TEST(ConfigLoader, ChildOverridesAndRemovesKeysOfItsBase) {
  testing::TempDir dir;
  write_text(dir / "base.json", R"({"name": "base", "train": {"epochs": 15, "lr": 0.002}, "quantization": {"policy": "w4a4"}})");
  write_text(dir / "sub/child.json",
             R"({"extends": "../base.json", "train": {"epochs": 3}, "quantization": null})");
  nlohmann::json config = load_config(dir / "sub/child.json");
  EXPECT_EQ(config, nlohmann::json::parse(R"({"name": "base", "train": {"epochs": 3, "lr": 0.002}})"));
}

TEST(ConfigLoader, ChainsResolveFromEachFilesOwnFolder) {
  testing::TempDir dir;
  write_text(dir / "a/root.json", R"({"x": 1, "y": 1, "z": 1})");
  write_text(dir / "b/middle.json", R"({"extends": "../a/root.json", "y": 2, "z": 2})");
  write_text(dir / "c/leaf.json", R"({"extends": "../b/middle.json", "z": 3})");
  EXPECT_EQ(load_config(dir / "c/leaf.json"), nlohmann::json::parse(R"({"x": 1, "y": 2, "z": 3})"));
}

TEST(ConfigLoader, FileWithoutExtendsIsReturnedAsIs) {
  testing::TempDir dir;
  write_text(dir / "plain.json", R"({"train": {"epochs": 2}})");
  EXPECT_EQ(load_config(dir / "plain.json"), nlohmann::json::parse(R"({"train": {"epochs": 2}})"));
}

TEST(ConfigLoader, ErrorsNameFilePointerAndExpectation) {
  testing::TempDir dir;
  write_text(dir / "number.json", R"({"extends": 3})");
  EXPECT_THAT(error_of([&] { load_config(dir / "number.json"); }),
              AllOf(HasSubstr("number.json: /extends: expected the path of a base config (a string), got 3")));

  write_text(dir / "missing.json", R"({"extends": "absent.json"})");
  EXPECT_THAT(error_of([&] { load_config(dir / "missing.json"); }),
              AllOf(HasSubstr("missing.json: /extends: "), HasSubstr("absent.json: cannot open config file")));

  write_text(dir / "broken.json", "{\n  \"a\": ]\n}");
  write_text(dir / "uses-broken.json", R"({"extends": "broken.json"})");
  EXPECT_THAT(error_of([&] { load_config(dir / "uses-broken.json"); }),
              AllOf(HasSubstr("uses-broken.json: /extends: "), HasSubstr("broken.json:2:"), HasSubstr("invalid JSON")));

  write_text(dir / "array.json", "[1, 2]");
  EXPECT_THAT(error_of([&] { load_config(dir / "array.json"); }), HasSubstr("array.json: /: expected an object"));
}

TEST(ConfigLoader, CyclesAreErrors) {
  testing::TempDir dir;
  write_text(dir / "a.json", R"({"extends": "b.json"})");
  write_text(dir / "b.json", R"({"extends": "a.json"})");
  EXPECT_THAT(error_of([&] { load_config(dir / "a.json"); }),
              AllOf(HasSubstr("cycle"), HasSubstr("a.json -> "), HasSubstr("b.json")));
  write_text(dir / "self.json", R"({"extends": "./self.json"})");
  EXPECT_THAT(error_of([&] { load_config(dir / "self.json"); }), HasSubstr("cycle"));
  EXPECT_THROW(load_config(dir / "self.json"), ConfigError);
}

}  // namespace
}  // namespace bitlab::lab
