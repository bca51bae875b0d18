// train::Residual: quantize_model gives its merge a QAdd named "<block>.add",
// and the tracer follows both branches into quant → add, computing what the
// model computes and converting to an integer graph whose runtimes agree.
#include "train/modules/residual.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "ir/passes/convert.h"
#include "ir/validate.h"
#include "runtime/fake_quant.h"
#include "runtime/reference.h"
#include "runtime/simulation.h"
#include "support/input_codes.h"
#include "train/editing/fold_batchnorm.h"
#include "train/editing/quantize_model.h"
#include "train/trace/trace_model.h"
#include "zoo/sequential_net.h"

namespace bitlab::train {
namespace {

using torch::nn::Sequential;
constexpr int64_t kBatch = 8;

// conv → [identity-shortcut block] → relu → [1×1-conv-shortcut block, stride 2] → relu → pool → fc.
zoo::SequentialNet residual_net() {
  Sequential features;
  zoo::add_conv_bn(features, "conv0", "bn0", "relu0", {.in = 3, .out = 4}, zoo::Act::kRelu);
  Sequential main0;
  zoo::add_conv_bn(main0, "conv1", "bn1", "relu1", {.in = 4, .out = 4}, zoo::Act::kRelu);
  zoo::add_conv_bn(main0, "conv2", "bn2", "", {.in = 4, .out = 4}, zoo::Act::kNone);
  features->push_back("block0", Residual(main0, Sequential()));
  features->push_back("relu_block0", torch::nn::ReLU());
  Sequential main1;
  zoo::add_conv_bn(main1, "conv1", "bn1", "relu1", {.in = 4, .out = 8, .stride = {2, 2}}, zoo::Act::kRelu);
  Sequential shortcut1;
  shortcut1->push_back("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 8, 1).stride(2)));
  features->push_back("block1", Residual(main1, shortcut1));
  features->push_back("relu_block1", torch::nn::ReLU());
  features->push_back("pool", torch::nn::AvgPool2d(4));
  Sequential classifier;
  classifier->push_back("flatten", torch::nn::Flatten());
  classifier->push_back("fc", torch::nn::Linear(8, 5));
  return zoo::SequentialNet(std::vector<std::pair<std::string, Sequential>>{{"features", features},
                                                                           {"classifier", classifier}});
}

zoo::SequentialNet quantised_net(const std::string& policy) {
  torch::manual_seed(3);
  auto net = residual_net();
  fold_batchnorm(*net);
  quantize_model(*net, parse_policy(nlohmann::json(policy), "test"));
  torch::NoGradGuard no_grad;
  net->train();
  net->forward(torch::randn({32, 3, 8, 8}));
  net->eval();
  return net;
}

TraceOptions options(int output_bits) {
  TraceOptions t;
  t.input_shape = {kBatch, 3, 8, 8};
  t.output_bits = output_bits;
  return t;
}

TEST(Residual, EmptyShortcutIsTheIdentity) {
  Sequential main;
  main->push_back("scale", torch::nn::Linear(3, 3));
  Residual r(main, Sequential());
  const torch::Tensor x = torch::randn({2, 3});
  EXPECT_TRUE(torch::allclose(r->forward(x), main->forward(x) + x));
}

TEST(Residual, QuantizeModelNamesTheMergeAndTracerEmitsQuantAdd) {
  auto net = quantised_net("w8a8");
  const auto layers = quantizable_layers(*net);
  EXPECT_THAT(layers.activation_layers, ::testing::Contains("features.block0.add"));
  EXPECT_THAT(layers.activation_layers, ::testing::Contains("features.block1.add"));

  net->to(torch::kFloat64);
  const ir::Graph graph = trace_model(*net, options(0));
  const ir::Node& add = *std::find_if(graph.nodes.begin(), graph.nodes.end(),
                                      [](const ir::Node& n) { return n.name == "features.block1.add"; });
  ASSERT_EQ(add.op, ir::OpKind::Add);
  EXPECT_THAT(add.inputs, ::testing::ElementsAre("features.block1.add.input_quantizer0",
                                                 "features.block1.add.input_quantizer1"));
  torch::manual_seed(4);
  const torch::Tensor x = torch::randn({kBatch, 3, 8, 8}, torch::kFloat64);
  torch::NoGradGuard no_grad;
  const torch::Tensor expected = net->forward(x).contiguous();
  runtime::RealTensorMap in{{"images", {{kBatch, 3, 8, 8}, {x.data_ptr<double>(), x.data_ptr<double>() + x.numel()}}}};
  const auto got = runtime::run_fake_quantised(graph, in).at(graph.outputs[0]).values;
  ASSERT_EQ(static_cast<int64_t>(got.size()), expected.numel());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected.data_ptr<double>()[i], 1e-9);
}

TEST(Residual, ConvertsAndRuntimesAgree) {
  auto net = quantised_net("w4a8");
  const ir::Graph fq = trace_model(*net, options(16));
  const ir::Graph integer = ir::passes::convert(fq);
  EXPECT_NO_THROW(ir::validate_integer_graph(integer));
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({kBatch, 3, 8, 8});
  const runtime::IntTensorMap codes = testing::input_codes(fq, x);
  const auto reference = runtime::run_reference(integer, codes);
  EXPECT_EQ(runtime::to_int(runtime::run_simulation(integer, runtime::to_sim(codes))), reference);
}

TEST(Residual, FloatMergeIsRefusedNamingTheBlock) {
  auto net = quantised_net("w8a8");
  for (auto& m : net->modules()) {
    if (auto* r = dynamic_cast<ResidualImpl*>(m.get())) r->add = nullptr;  // as if never quantised
  }
  try {
    (void)trace_model(*net, options(16));
    FAIL() << "a float residual add traced";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("features.block0"));
  }
}

}  // namespace
}  // namespace bitlab::train
