#include "common/json_reader.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "support/synthetic_dataset.h"

namespace bitlab {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(JsonReader, ReadsValuesAndDefaults) {
  auto j = nlohmann::json::parse(R"({"a": 3, "b": 0.5, "c": true, "d": "x", "e": [1, 2], "o": {"k": 1}})");
  JsonReader r(j, "f.json");
  EXPECT_EQ(r.integer("a", 0, 0, 10), 3);
  EXPECT_DOUBLE_EQ(r.number("b", 0, 0, 1), 0.5);
  EXPECT_TRUE(r.boolean("c", false));
  EXPECT_EQ(r.choice("d", "y", {"x", "y"}), "x");
  EXPECT_EQ(r.integers("e", {}, 0, 5), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(r.integer("missing", 42, 0, 100), 42);
  auto o = r.object("o");
  EXPECT_EQ(o.integer("k", 0, 0, 1), 1);
  EXPECT_EQ(o.pointer(), "/o");
  o.finish();
  r.finish();
}

TEST(JsonReader, AcceptsIntegralFloatsAsIntegers) {
  auto j = nlohmann::json::parse(R"({"a": 3.0})");
  EXPECT_EQ(JsonReader(j, "f.json").integer("a", 0, 0, 10), 3);
}

TEST(JsonReader, UnknownKeyNamesFilePathAndSuggestion) {
  auto j = nlohmann::json::parse(R"({"train": {"epoch": 3}})");
  std::string message = error_of([&] {
    JsonReader r(j, "cfg.json");
    auto t = r.object("train");
    t.integer("epochs", 1, 1, 10);
    t.finish();
  });
  EXPECT_THAT(message, AllOf(HasSubstr("cfg.json"), HasSubstr("/train/epoch"), HasSubstr("unknown key"),
                             HasSubstr("did you mean \"epochs\"")));
}

TEST(JsonReader, WrongTypeNamesExpectation) {
  auto j = nlohmann::json::parse(R"({"epochs": "ten"})");
  std::string message = error_of([&] { JsonReader(j, "cfg.json").integer("epochs", 1, 1, 100); });
  EXPECT_THAT(message, AllOf(HasSubstr("cfg.json: /epochs"), HasSubstr("expected an integer in [1, 100]"),
                             HasSubstr("\"ten\" (a string)")));
}

TEST(JsonReader, OutOfRangeNamesRange) {
  auto j = nlohmann::json::parse(R"({"lr": -1, "n": 1000, "f": 2.5})");
  JsonReader r(j, "cfg.json");
  EXPECT_THAT(error_of([&] { r.number("lr", 0.1, 0.0, 1.0); }), HasSubstr("/lr: expected a number in [0, 1], got -1"));
  EXPECT_THAT(error_of([&] { r.integer("n", 1, 1, 10); }), HasSubstr("/n: expected an integer in [1, 10], got 1000"));
  EXPECT_THAT(error_of([&] { r.integer("f", 1, 1, 10); }), HasSubstr("got 2.5"));
}

TEST(JsonReader, ChoiceSuggestsClosest) {
  auto j = nlohmann::json::parse(R"({"optimizer": "adma"})");
  EXPECT_THAT(error_of([&] { JsonReader(j, "c.json").choice("optimizer", "sgd", {"sgd", "adam"}); }),
              AllOf(HasSubstr("one of \"sgd\", \"adam\""), HasSubstr("did you mean \"adam\"")));
}

TEST(JsonReader, ArrayItemErrorsPointAtTheItem) {
  auto j = nlohmann::json::parse(R"({"channels": [32, -1]})");
  EXPECT_THAT(error_of([&] { JsonReader(j, "c.json").integers("channels", {}, 1, 64); }),
              HasSubstr("/channels/1: expected an integer in [1, 64], got -1"));
}

TEST(JsonReader, MissingRequiredAndNonObject) {
  auto j = nlohmann::json::parse(R"({"o": 3})");
  JsonReader r(j, "c.json");
  EXPECT_THAT(error_of([&] { r.required_string("name"); }), HasSubstr("/name: missing; expected a string"));
  EXPECT_THAT(error_of([&] { r.object("o"); }), HasSubstr("/o: expected an object, got 3"));
  auto array = nlohmann::json::parse("[1]");
  EXPECT_THAT(error_of([&] { JsonReader(array, "c.json"); }), HasSubstr("expected an object"));
}

TEST(JsonReader, ParseFileReportsLineAndColumn) {
  testing::TempDir dir;
  auto path = dir / "bad.json";
  std::ofstream(path) << "{\n  \"a\": 1,\n  \"b\": ]\n}\n";
  EXPECT_THAT(error_of([&] { JsonReader::parse_file(path); }), AllOf(HasSubstr("bad.json:3:"), HasSubstr("invalid JSON")));
  EXPECT_THAT(error_of([&] { JsonReader::parse_file(dir / "absent.json"); }),
              AllOf(HasSubstr("absent.json"), HasSubstr("cannot open")));
}

}  // namespace
}  // namespace bitlab
