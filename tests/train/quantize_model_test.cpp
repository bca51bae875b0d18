#include "train/editing/quantize_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "train/calibration/calibrate.h"
#include "train/editing/fold_batchnorm.h"
#include "train/modules/qactivation.h"
#include "train/modules/qconv2d.h"
#include "train/modules/qlinear.h"
#include "train/trainer.h"
#include "zoo/fmnist_cnn.h"

namespace bitlab::train {
namespace {

zoo::FmnistCnn small_cnn() {
  torch::manual_seed(11);
  zoo::FmnistCnnOptions o;
  o.channels = {8, 8};
  o.hidden = 16;
  return zoo::FmnistCnn(o);
}

template <typename T>
std::vector<T*> modules_of(torch::nn::Module& m) {
  std::vector<T*> out;
  for (auto& child : m.modules())
    if (auto* t = dynamic_cast<T*>(child.get())) out.push_back(t);
  return out;
}

TEST(QuantizeModel, ReplacesLayersByNameAndKeepsFloatWeights) {
  auto net = small_cnn();
  fold_batchnorm(*net);
  auto float_weight = modules_of<torch::nn::Conv2dImpl>(*net).front()->weight.clone();
  auto layers = quantize_model(*net, parse_policy("w4a4", "test"));
  EXPECT_EQ(layers.weight_layers,
            (std::vector<std::string>{"features.conv0_0", "features.conv1_0", "classifier.fc0", "classifier.fc_out"}));
  EXPECT_EQ(layers.activation_layers,
            (std::vector<std::string>{"features.relu0_0", "features.relu1_0", "classifier.relu_fc0"}));
  EXPECT_TRUE(modules_of<torch::nn::Conv2dImpl>(*net).empty());
  EXPECT_TRUE(modules_of<torch::nn::LinearImpl>(*net).empty());
  ASSERT_EQ(modules_of<QConv2dImpl>(*net).size(), 2u);
  EXPECT_TRUE(torch::equal(modules_of<QConv2dImpl>(*net).front()->weight, float_weight));
  EXPECT_TRUE(net->input_quantizer());
  auto y = net->forward(torch::randn({4, 1, 28, 28}));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{4, 10}));
}

TEST(QuantizeModel, WeightsAndActivationsLandOnTheirGrids) {
  auto net = small_cnn();
  fold_batchnorm(*net);
  quantize_model(*net, parse_policy("w4a2", "test"));
  net->eval();
  net->forward(torch::randn({8, 1, 28, 28}));  // initialises activation ranges
  for (auto* conv : modules_of<QConv2dImpl>(*net)) {
    auto w = conv->quantized_weight().detach();
    for (int64_t c = 0; c < w.size(0); ++c) {
      EXPECT_LE(std::get<0>(at::_unique(w[c])).numel(), 15) << "4-bit narrow range: at most 15 levels";
    }
  }
  auto* relu = modules_of<QActivationImpl>(*net).front();
  auto a = relu->forward(torch::randn({1000})).detach();
  EXPECT_LE(std::get<0>(at::_unique(a)).numel(), 4) << "2-bit unsigned: at most 4 levels";
  EXPECT_GE(a.min().item<double>(), 0.0);
}

TEST(QuantizeModel, PolicyRuleForAMissingLayerIsAnError) {
  auto net = small_cnn();
  auto policy = parse_policy(nlohmann::json::parse(R"({"layers": [{"match": "features.conv7", "weights": 2}]})"), "p.json");
  try {
    quantize_model(*net, policy);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("features.conv7"));
  }
}

TEST(QuantizeModel, MixedPolicyAppliesPerLayer) {
  auto net = small_cnn();
  auto policy = parse_policy(nlohmann::json::parse(R"({"default": "w4a4", "layers": [
      {"match": "features.conv0_0", "weights": 8}, {"match": "classifier.relu_fc0", "activations": 2}]})"), "p.json");
  quantize_model(*net, policy);
  auto convs = modules_of<QConv2dImpl>(*net);
  EXPECT_EQ(convs[0]->weight_quantizer->options().bits, 8);
  EXPECT_EQ(convs[1]->weight_quantizer->options().bits, 4);
  auto acts = modules_of<QActivationImpl>(*net);
  EXPECT_EQ(acts.back()->output_quantizer->quantizer()->options().bits, 2);
}

TEST(Calibration, SetsEveryActivationRangeFromData) {
  auto net = small_cnn();
  fold_batchnorm(*net);
  quantize_model(*net, parse_policy("w8a8", "test"));
  CalibrationOptions o;
  o.method = CalibrationMethod::kMse;
  o.batches = 2;
  o.batch_size = 16;
  int points = calibrate_activations(*net, torch::randn({64, 1, 28, 28}), o, torch::kCPU);
  EXPECT_EQ(points, 4);  // input + 3 activations
  for (auto* p : modules_of<ActivationQuantizerImpl>(*net)) EXPECT_TRUE(p->initialized());
}

// Every algorithm trains inside a real network: finite loss, and the QAT
// machinery (progress, lazy initialisation) works end to end.
class EveryAlgorithm : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryAlgorithm, TrainsAStepInTheCnn) {
  const std::string algorithm = GetParam();
  int bits = algorithm == "binary" ? 1 : (algorithm == "twn" || algorithm == "ttq") ? 2 : 4;
  PrecisionPolicy policy = flat_policy(bits, 4, "ste");
  policy.weights.algorithm = algorithm;
  if (algorithm_supports(algorithm, TensorRole::kActivation) && algorithm != "binary") policy.activations.algorithm = algorithm;
  auto net = small_cnn();
  fold_batchnorm(*net);
  quantize_model(*net, policy);
  TrainerOptions o;
  o.epochs = 1;
  o.batch_size = 16;
  o.augment = false;
  Trainer trainer(net.ptr(), o);
  LabeledTensors data{torch::randn({48, 1, 28, 28}), torch::randint(0, 10, {48}, torch::kInt64)};
  TrainerCallbacks cb;
  cb.on_progress = [&](double p) { set_quantization_progress(*net, p); };
  const auto& history = trainer.fit(data, data, cb);
  EXPECT_TRUE(std::isfinite(history.back().train_loss)) << algorithm;
  EXPECT_TRUE(std::isfinite(history.back().test.loss)) << algorithm;
}

INSTANTIATE_TEST_SUITE_P(Algorithms, EveryAlgorithm, ::testing::ValuesIn(quantizer_algorithms()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace bitlab::train
