#include "lab/train_job.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "data/fashion_mnist.h"
#include "lab/network_factory.h"
#include "lab/ptq_job.h"
#include "support/synthetic_dataset.h"
#include "train/checkpoint.h"
#include "train/modules/qconv2d.h"
#include "train/modules/qconv_bn2d.h"
#include "train/trainer.h"

namespace bitlab::lab {
namespace {

TrainJobConfig tiny_job(const testing::TempDir& dir, const std::string& out, int64_t epochs) {
  TrainJobConfig c;
  c.name = "tiny";
  c.data.root = (dir / "data").string();
  c.model.cnn.channels = {8, 8};
  c.model.cnn.hidden = 16;
  c.train.epochs = epochs;
  c.train.batch_size = 32;
  c.train.lr = 3e-3;
  c.output_dir = (dir / out).string();
  return c;
}

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

TEST(TrainJob, WritesCheckpointMetricsAndConfig) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 192, .test = 64});
  auto result = run_train_job(tiny_job(dir, "run", 2), {.progress = false});
  ASSERT_EQ(result.history.size(), 2u);
  auto metrics = read_json(result.metrics);
  EXPECT_EQ(metrics["status"], "finished");
  EXPECT_EQ(metrics["epochs"].size(), 2u);
  EXPECT_EQ(metrics["final"]["samples"], 64);
  EXPECT_DOUBLE_EQ(metrics["final"]["accuracy"].get<double>(), result.history.back().test.accuracy);
  EXPECT_EQ(read_json(dir / "run/config.json")["name"], "tiny");
  EXPECT_EQ(train::read_checkpoint_meta(result.checkpoint)["history"].size(), 2u);
  std::string table = format_history_table(result.history);
  EXPECT_THAT(table, ::testing::HasSubstr("test acc"));
}

// A run killed after epoch 1 and resumed must end exactly where an
// uninterrupted run ends: same data order, same weights, same metrics.
TEST(TrainJob, ResumeAfterInterruptionMatchesUninterruptedRun) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 192, .test = 64});
  auto straight = run_train_job(tiny_job(dir, "straight", 3), {.progress = false});

  auto config = tiny_job(dir, "resumed", 3);
  auto first = run_train_job(config, {.progress = false, .stop_after_epochs = 1});
  ASSERT_EQ(first.history.size(), 1u);
  EXPECT_EQ(read_json(first.metrics)["status"], "running");
  auto resumed = run_train_job(config, {.resume = true, .progress = false});
  ASSERT_EQ(resumed.history.size(), 3u);
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(resumed.history[e].train_loss, straight.history[e].train_loss) << "epoch " << e + 1;
    EXPECT_EQ(resumed.history[e].test.loss, straight.history[e].test.loss) << "epoch " << e + 1;
  }
  EXPECT_EQ(read_json(resumed.metrics)["status"], "finished");

  // Resuming with another recipe would mix two experiments: refused, naming the field.
  auto changed = config;
  changed.train.lr = 1e-2;
  try {
    run_train_job(changed, {.resume = true, .progress = false});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("/train/lr"));
  }
}

TEST(TrainJob, RefusesToClobberAnEarlierRunWithoutAFlag) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 64, .test = 32});
  auto c = tiny_job(dir, "run", 1);
  run_train_job(c, {.progress = false});
  try {
    run_train_job(c, {.progress = false});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("--resume"));
  }
  EXPECT_NO_THROW(run_train_job(c, {.overwrite = true, .progress = false}));
  // Resuming a finished run trains nothing more and returns its history.
  auto again = run_train_job(c, {.resume = true, .progress = false});
  EXPECT_EQ(again.history.size(), 1u);
}

// QAT on a 2k-image subset of the real dataset (installed by make test; the
// synthetic set stands in when it is absent) beats chance (10 %) by far.
TEST(TrainJob, ShortQatRunOnA2kSubsetBeatsChance) {
  testing::TempDir dir;
  TrainJobConfig c = tiny_job(dir, "qat", 2);
  if (std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    c.data.root = "/usr/share/datasets/fashion-mnist";
  } else {
    testing::write_synthetic_fashion_mnist(dir / "data", {.train = 2000, .test = 1000});
  }
  c.data.train_limit = 2000;
  c.data.test_limit = 1000;
  c.train.augment = false;
  c.quantization.enabled = true;
  c.quantization.policy = train::flat_policy(4, 4, "lsq");
  c.quantization.init = "ptq";
  c.quantization.calibration.batches = 2;
  auto result = run_train_job(c, {.progress = false});
  // Chance is 0.1. Two epochs on 2k images land around 0.55-0.65 depending on
  // float summation order (the fused and reference LSQ kernels differ there),
  // so the bar is "well above chance", not a tuned accuracy.
  EXPECT_GT(result.history.back().test.accuracy, 0.4);
  // The QAT checkpoint rebuilds and evaluates: config → fold → quantise → load.
  auto meta = train::read_checkpoint_meta(result.checkpoint);
  EXPECT_TRUE(meta["config"].contains("quantization"));
}

template <typename T>
int count_modules(torch::nn::Module& network) {
  int n = 0;
  for (auto& m : network.modules()) n += dynamic_cast<T*>(m.get()) != nullptr;
  return n;
}

// Costs, conversion and search all trace through trace_options: a zoo network
// must be traced at its own input, not the Fashion-MNIST image.
TEST(TrainJob, TraceOptionsTakeTheInputShapeOfTheArchitecture) {
  testing::TempDir dir;
  TrainJobConfig c = tiny_job(dir, "unused", 1);
  EXPECT_EQ(trace_options(c).input_shape, (ir::Shape{1, 1, 28, 28}));
  EXPECT_EQ(trace_options(c).graph_name, "tiny");
  c.model.arch = "ds-cnn";
  EXPECT_EQ(trace_options(c).input_shape, (ir::Shape{1, 1, 49, 10}));
  c.model.arch = "fc-autoencoder";
  EXPECT_EQ(trace_options(c).input_shape, (ir::Shape{1, 640}));
}

TEST(TrainJob, BatchNormSettingShapesTheQuantisedNetwork) {
  testing::TempDir dir;
  TrainJobConfig c = tiny_job(dir, "unused", 1);
  c.quantization.enabled = true;
  c.quantization.policy = train::flat_policy(8, 8);
  auto fold = build_network(c, Weights::kFresh);
  EXPECT_EQ(count_modules<train::QConv2dImpl>(*fold), 2);
  EXPECT_EQ(count_modules<torch::nn::BatchNorm2dImpl>(*fold), 0);
  c.quantization.batchnorm = "train";
  c.quantization.batchnorm_freeze = 0.6;
  auto trained = build_network(c, Weights::kFresh);
  EXPECT_EQ(count_modules<train::QConvBn2dImpl>(*trained), 2);
  EXPECT_EQ(count_modules<train::QConv2dImpl>(*trained), 0);
  EXPECT_EQ(count_modules<torch::nn::BatchNorm2dImpl>(*trained), 0);
  for (auto& m : trained->modules()) {
    if (auto* q = dynamic_cast<train::QConvBn2dImpl*>(m.get())) {
      EXPECT_DOUBLE_EQ(q->options().freeze_progress, 0.6);
    }
  }
  c.quantization.batchnorm = "keep";
  auto kept = build_network(c, Weights::kFresh);
  EXPECT_EQ(count_modules<train::QConv2dImpl>(*kept), 2);
  EXPECT_EQ(count_modules<torch::nn::BatchNorm2dImpl>(*kept), 2);
}

TrainJobConfig trained_batchnorm_job(const testing::TempDir& dir, const std::string& out) {
  TrainJobConfig c = tiny_job(dir, out, 3);
  c.train.augment = false;
  c.quantization.enabled = true;
  c.quantization.policy = train::flat_policy(4, 4, "lsq");
  c.quantization.batchnorm = "train";
  c.quantization.calibration.batches = 2;
  return c;
}

// QAT with BatchNorm trained folded (Jacob et al. 2018 §3.2) learns the
// synthetic classes from scratch, and its checkpoint rebuilds from its config
// alone: build_network(kFresh) + load_checkpoint evaluates exactly as the run
// did, so the running statistics and quantiser state travel in the checkpoint.
TEST(TrainJob, QatWithTrainedBatchNormLearnsAndItsCheckpointReloads) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 512, .test = 256});
  // From scratch, ranges come from the first training batch: eval-mode
  // calibration would see BatchNorm's initial statistics (0, 1), not the data's.
  TrainJobConfig c = trained_batchnorm_job(dir, "scratch");
  c.quantization.init = "float";
  auto result = run_train_job(c, {.progress = false});
  EXPECT_GT(result.history.back().test.accuracy, 0.8);

  auto network = build_network(c, Weights::kFresh);
  train::load_checkpoint(result.checkpoint, *network, nullptr);
  ASSERT_EQ(count_modules<train::QConvBn2dImpl>(*network), 2);
  data::FashionMnistOptions o;
  o.root = c.data.root;
  o.split = data::Split::kTest;
  data::FashionMnist test(o);
  auto again = train::Trainer(network, c.train).evaluate({test.images(), test.labels()});
  EXPECT_EQ(again.accuracy, result.history.back().test.accuracy);
  EXPECT_EQ(again.loss, result.history.back().test.loss);
}

// The usual recipe: QAT (PTQ-calibrated) from a float checkpoint, whose
// running statistics describe the data.
TEST(TrainJob, QatWithTrainedBatchNormFromAFloatCheckpoint) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 512, .test = 256});
  auto float_run = run_train_job(tiny_job(dir, "float", 2), {.progress = false});
  TrainJobConfig c = trained_batchnorm_job(dir, "qat");
  c.quantization.from = float_run.checkpoint.string();
  auto result = run_train_job(c, {.progress = false});
  EXPECT_GT(result.history.back().test.accuracy, 0.8);
}

TEST(TrainJob, PtqOfAFloatCheckpointKeepsAccuracyAt8Bits) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 192, .test = 64});
  auto float_run = run_train_job(tiny_job(dir, "float", 2), {.progress = false});
  TrainJobConfig c = tiny_job(dir, "ptq", 2);
  c.quantization.enabled = true;
  c.quantization.policy = train::flat_policy(8, 8);
  c.quantization.from = float_run.checkpoint.string();
  c.quantization.calibration.batches = 2;
  auto ptq = run_ptq_job(c);
  EXPECT_NEAR(ptq.quantized_model.accuracy, ptq.float_model.accuracy, 0.05);
  EXPECT_DOUBLE_EQ(ptq.float_model.accuracy, float_run.history.back().test.accuracy);
  EXPECT_TRUE(std::filesystem::exists(ptq.metrics));
  // Starting from a checkpoint of another network is refused with both described.
  c.model.cnn.channels = {4, 4};
  EXPECT_THROW(run_ptq_job(c), ConfigError);
}

TEST(TrainJob, MissingDatasetIsADataErrorNamingTheFile) {
  testing::TempDir dir;
  auto c = tiny_job(dir, "run", 1);
  try {
    run_train_job(c, {.progress = false});
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("train-images-idx3-ubyte"));
  }
}

}  // namespace
}  // namespace bitlab::lab
