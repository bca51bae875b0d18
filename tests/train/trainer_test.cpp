#include "train/trainer.h"

#include <gtest/gtest.h>

#include "data/fashion_mnist.h"
#include "support/synthetic_dataset.h"
#include "zoo/fmnist_cnn.h"

namespace bitlab::train {
namespace {

TEST(LearningRate, CosineStepConstantAndWarmup) {
  TrainerOptions o;
  o.lr = 1.0;
  o.epochs = 10;
  o.schedule = "cosine";
  EXPECT_DOUBLE_EQ(learning_rate_at(o, 0), 1.0);
  EXPECT_NEAR(learning_rate_at(o, 5), 0.5, 1e-12);
  EXPECT_NEAR(learning_rate_at(o, 10), 0.0, 1e-12);
  o.schedule = "step";
  o.step_epochs = 3;
  o.step_gamma = 0.5;
  EXPECT_DOUBLE_EQ(learning_rate_at(o, 2.9), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate_at(o, 3.0), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate_at(o, 6.5), 0.25);
  o.schedule = "constant";
  o.warmup_epochs = 2;
  EXPECT_DOUBLE_EQ(learning_rate_at(o, 0), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate_at(o, 1), 0.55);
  EXPECT_DOUBLE_EQ(learning_rate_at(o, 2), 1.0);
}

struct SyntheticData {
  testing::TempDir dir;
  LabeledTensors train, test;
  SyntheticData() {
    testing::write_synthetic_fashion_mnist(dir.path(), {.train = 320, .test = 160});
    data::FashionMnist tr({.root = dir.path().string(), .split = data::Split::kTrain});
    data::FashionMnist te({.root = dir.path().string(), .split = data::Split::kTest});
    train = {tr.images(), tr.labels()};
    test = {te.images(), te.labels()};
  }
};

TrainerOptions small_options() {
  TrainerOptions o;
  o.epochs = 3;
  o.batch_size = 32;
  o.lr = 3e-3;
  o.seed = 5;
  // The synthetic classes are coded by position, which flips would confuse.
  o.augment = false;
  return o;
}

std::shared_ptr<Classifier> small_net(uint64_t seed) {
  torch::manual_seed(seed);
  zoo::FmnistCnnOptions o;
  o.channels = {8, 8};
  o.hidden = 16;
  return zoo::FmnistCnn(o).ptr();
}

TEST(Trainer, LearnsASeparableProblemAndReportsProgress) {
  SyntheticData d;
  Trainer trainer(small_net(1), small_options());
  double before = trainer.evaluate(d.test).accuracy;
  int64_t batches_seen = 0, epochs_ended = 0;
  TrainerCallbacks cb;
  cb.on_batch = [&](int64_t, double loss, double) {
    ++batches_seen;
    EXPECT_TRUE(std::isfinite(loss));
  };
  cb.on_epoch_end = [&](const EpochMetrics& m) { EXPECT_EQ(m.epoch, ++epochs_ended); };
  const auto& history = trainer.fit(d.train, d.test, cb);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(batches_seen, 3 * 10);
  EXPECT_LT(history.back().train_loss, history.front().train_loss);
  EXPECT_GT(history.back().test.accuracy, 0.9) << "accuracy before training: " << before;
  EXPECT_EQ(history.back().test.samples, 160);
}

TEST(Trainer, SameSeedSameResultWithAugmentation) {
  SyntheticData d;
  auto o = small_options();
  o.epochs = 1;
  o.augment = true;
  Trainer a(small_net(3), o), b(small_net(3), o);
  double la = a.fit(d.train, d.test).back().train_loss;
  double lb = b.fit(d.train, d.test).back().train_loss;
  EXPECT_EQ(la, lb);
}

TEST(Trainer, SgdAndStepScheduleAlsoLearn) {
  SyntheticData d;
  auto o = small_options();
  o.optimizer = "sgd";
  o.lr = 0.05;
  o.schedule = "step";
  o.step_epochs = 2;
  o.augment = false;
  Trainer trainer(small_net(2), o);
  EXPECT_GT(trainer.fit(d.train, d.test).back().test.accuracy, 0.8);
}

}  // namespace
}  // namespace bitlab::train
