#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_runner.h"
#include "support/synthetic_dataset.h"

namespace bitlab {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::run_bitlab;

TEST(Cli, VersionAndHelp) {
  EXPECT_THAT(run_bitlab("--version").output, HasSubstr("bitlab 0."));
  auto help = run_bitlab("train --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_THAT(help.output, AllOf(HasSubstr("--resume"), HasSubstr("--epochs")));
}

TEST(Cli, BadConfigExitsWithAMessageNamingFileAndPath) {
  testing::TempDir dir;
  std::ofstream(dir / "bad.json") << R"({"train": {"epochs": "many"}})";
  auto r = run_bitlab("train " + (dir / "bad.json").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output, AllOf(HasSubstr("error: "), HasSubstr("bad.json: /train/epochs: expected an integer")));
  auto missing = run_bitlab("train " + (dir / "none.json").string());
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.output, HasSubstr("none.json: cannot open"));
  auto bad_flag = run_bitlab("train " + (dir / "bad.json").string() + " --epochs -3");
  EXPECT_NE(bad_flag.status, 0);
}

TEST(Cli, TrainsPrintsTableAndEvaluatesTheCheckpoint) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 128, .test = 64});
  nlohmann::json config = {{"name", "cli"},
                           {"data", {{"root", (dir / "data").string()}}},
                           {"model", {{"channels", {8}}, {"hidden", 0}}},
                           {"train", {{"epochs", 2}, {"batch_size", 32}}},
                           {"output", {{"dir", (dir / "out").string()}}}};
  std::ofstream(dir / "c.json") << config.dump();
  auto r = run_bitlab("train " + (dir / "c.json").string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, AllOf(HasSubstr("epoch 2/2"), HasSubstr("test acc"), HasSubstr("final test accuracy"),
                              HasSubstr("on 64 test images")));
  EXPECT_TRUE(std::filesystem::exists(dir / "out/checkpoint.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out/metrics.json"));
  auto again = run_bitlab("train " + (dir / "c.json").string());
  EXPECT_EQ(again.status, 2);
  EXPECT_THAT(again.output, HasSubstr("--resume"));
  auto eval = run_bitlab("eval " + (dir / "out/checkpoint.pt").string());
  ASSERT_EQ(eval.status, 0) << eval.output;
  EXPECT_THAT(eval.output, HasSubstr("on 64 images"));
  auto ptq = run_bitlab("quantize " + (dir / "out/checkpoint.pt").string() +
                        " --ptq --policy w8a8 --batches 2 --out " + (dir / "ptq").string());
  ASSERT_EQ(ptq.status, 0) << ptq.output;
  EXPECT_THAT(ptq.output, AllOf(HasSubstr("quantised"), HasSubstr("accuracy change")));
  auto ptq_eval = run_bitlab("eval " + (dir / "ptq/checkpoint.pt").string());
  ASSERT_EQ(ptq_eval.status, 0) << ptq_eval.output;
  auto no_mode = run_bitlab("quantize " + (dir / "out/checkpoint.pt").string());
  EXPECT_EQ(no_mode.status, 2);
  EXPECT_THAT(no_mode.output, HasSubstr("--ptq"));
  auto cuda = run_bitlab("train " + (dir / "c.json").string() + " --overwrite --device cuda");
  if (cuda.status != 0) {
    EXPECT_THAT(cuda.output, HasSubstr("CUDA"));
  }
}

TEST(Cli, MissingDatasetNamesTheFileAndThePackage) {
  testing::TempDir dir;
  nlohmann::json config = {{"data", {{"root", (dir / "nothing").string()}}}, {"output", {{"dir", (dir / "o").string()}}}};
  std::ofstream(dir / "c.json") << config.dump();
  auto r = run_bitlab("train " + (dir / "c.json").string());
  EXPECT_EQ(r.status, 3);
  EXPECT_THAT(r.output, AllOf(HasSubstr("train-images-idx3-ubyte"), HasSubstr("dataset-fashion-mnist")));
}

}  // namespace
}  // namespace bitlab
