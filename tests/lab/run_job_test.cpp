#include "lab/run_job.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "lab/train_job.h"
#include "support/synthetic_dataset.h"

namespace bitlab::lab {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

Run tiny_run(const testing::TempDir& dir, int64_t epochs, std::optional<FoldAssignment> fold = std::nullopt) {
  Run run;
  run.variant = "bits=w8";
  run.levels = {{"bits", "w8"}};
  run.seed = 3;
  run.fold = fold;
  run.id = "bits=w8/seed=3" + (fold ? "/fold=" + std::to_string(fold->fold_index) : std::string());
  run.config = {{"name", "tiny"},
                {"data", {{"root", (dir / "data").string()}}},
                {"model", {{"channels", {8}}, {"hidden", 16}}},
                {"train", {{"epochs", epochs}, {"batch_size", 32}, {"lr", 3e-3}, {"seed", 3}}},
                {"output", {{"dir", (dir / "ignored").string()}}}};
  return run;
}

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

TEST(RunJob, TrainsIntoTheRunsFolderAndReportsMetricsCurvesAndArtefacts) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 160, .test = 48});
  lab::Run run = tiny_run(dir, 2);
  run.config["quantization"] = {{"policy", "w4a8"}, {"calibration", {{"batches", 2}}}};
  RunResults results = run_design_run(run, {.runs_dir = dir / "lab"});
  std::filesystem::path folder = dir / "lab/bits=w8/seed=3";
  EXPECT_EQ(run_folder(run, dir / "lab"), folder);
  EXPECT_TRUE(std::filesystem::exists(folder / "checkpoint.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir / "ignored"));  // the design's output.dir is not used
  EXPECT_EQ(read_json(folder / "config.json")["output"]["dir"], folder.string());
  EXPECT_EQ(results.artefacts.at("checkpoint"), (folder / "checkpoint.pt").string());
  EXPECT_EQ(results.artefacts.at("config"), (folder / "config.json").string());
  EXPECT_EQ(results.resolved_config["train"]["seed"], 3);
  auto metrics = read_json(folder / "metrics.json");
  EXPECT_DOUBLE_EQ(results.metrics.at("test_accuracy"), metrics["final"]["accuracy"].get<double>());
  EXPECT_DOUBLE_EQ(results.metrics.at("train_seconds"), metrics["train_seconds"].get<double>());
  EXPECT_EQ(results.metrics.at("weight_bits"), 4.0);
  EXPECT_EQ(results.metrics.at("activation_bits"), 8.0);
  EXPECT_EQ(results.curves.at("test_accuracy").size(), 2u);
  EXPECT_EQ(results.curves.at("train_loss").size(), 2u);
  EXPECT_EQ(results.metrics.count("validation_accuracy"), 0u);
  EXPECT_EQ(results.curves.count("validation_accuracy"), 0u);
  // The traced network's hardware costs, for the report's Pareto fronts.
  for (const char* cost : {"total_bits", "weight_memory_bytes", "bops", "energy_pj", "accelerator_latency",
                           "simd_latency_seconds"}) {
    ASSERT_EQ(results.metrics.count(cost), 1u) << cost;
    EXPECT_GT(results.metrics.at(cost), 0.0) << cost;
  }
  // 4- or 8-bit weights against 8-bit activations: between 32 and 64 bit operations per MAC.
  const double macs = results.metrics.at("macs");
  EXPECT_GE(results.metrics.at("bops"), 32 * macs);
  EXPECT_LE(results.metrics.at("bops"), 64 * macs);
  // Packed weights take at most a byte each (plus int32 biases), far below float32.
  EXPECT_LT(results.metrics.at("weight_memory_bytes"), 4 * results.metrics.at("parameters"));
}

// k-fold: training sees the other k-1 folds, the held-out fold is evaluated each
// epoch as validation, and the test set is evaluated whole.
TEST(RunJob, CrossValidationValidatesOnTheHeldOutFold) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 200, .test = 48});
  lab::Run run = tiny_run(dir, 2, FoldAssignment{1, 4, 9});
  RunResults results = run_design_run(run, {.runs_dir = dir / "lab"});
  EXPECT_EQ(results.curves.at("validation_accuracy").size(), 2u);
  EXPECT_EQ(results.curves.at("validation_loss").size(), 2u);
  EXPECT_DOUBLE_EQ(results.metrics.at("validation_accuracy"), results.curves.at("validation_accuracy").back());
  auto metrics = read_json(dir / "lab/bits=w8/seed=3/fold=1/metrics.json");
  EXPECT_EQ(metrics["validation"][0]["samples"], 50);  // 200 images, 4 folds
  EXPECT_EQ(metrics["final"]["samples"], 48);          // the whole test set
  EXPECT_EQ(metrics["fold"]["index"], 1);
  EXPECT_EQ(metrics["epochs"].size(), 2u);
  EXPECT_EQ(results.metrics.count("total_bits"), 0u);  // a float run has no integer hardware cost
}

TEST(RunJob, AKilledAttemptResumesAndAnotherFoldIsRefused) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 120, .test = 32});
  lab::Run run = tiny_run(dir, 2, FoldAssignment{0, 3, 1});
  // First attempt: killed after epoch 1 (stop_after_epochs stands in for the kill).
  TrainJobConfig config = parse_train_config(run.config, "t");
  config.output_dir = run_folder(run, dir / "lab").string();
  run_train_job(config, {.progress = false, .stop_after_epochs = 1, .fold = run.fold});
  RunResults results = run_design_run(run, {.runs_dir = dir / "lab"});
  // Epoch 1 came from the checkpoint, epoch 2 was trained now; validation kept for both.
  EXPECT_EQ(results.curves.at("test_accuracy").size(), 2u);
  EXPECT_EQ(results.curves.at("validation_accuracy").size(), 2u);
  // The same folder asked to continue as another fold would mix training and validation images.
  try {
    run_train_job(config, {.resume = true, .progress = false, .fold = FoldAssignment{2, 3, 1}});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("checkpoint.pt: cannot resume"), HasSubstr("cross-validation fold")));
  }
}

TEST(RunJob, BadRunConfigNamesTheSourceAndTheRun) {
  testing::TempDir dir;
  lab::Run run = tiny_run(dir, 1);
  run.config["train"]["epochz"] = 2;
  try {
    run_design_run(run, {.runs_dir = dir / "lab", .source = "x.db"});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("x.db: run \"bits=w8/seed=3\""), HasSubstr("/train/epochz")));
  }
}

}  // namespace
}  // namespace bitlab::lab
