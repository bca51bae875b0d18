// The zoo's reference networks against published parameter and MAC counts.
// MACs are counted on the traced fake-quantised IR graph (hw::extract_layers),
// so every network here also goes through quantize_model and the tracer.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>

#include "common/error.h"
#include "hw/layer_view.h"
#include "ir/passes/convert.h"
#include "ir/validate.h"
#include "lab/train_config.h"
#include "lab/network_factory.h"
#include "zoo_support.h"

namespace bitlab::zoo {
namespace {

int64_t parameters(torch::nn::Module& net) {
  int64_t n = 0;
  for (const auto& p : net.parameters()) n += p.numel();
  return n;
}

// BatchNorm running means and variances: Keras counts them as parameters.
int64_t batchnorm_statistics(torch::nn::Module& net) {
  int64_t n = 0;
  for (const auto& b : net.named_buffers()) {
    if (b.key().ends_with("running_mean") || b.key().ends_with("running_var")) n += b.value().numel();
  }
  return n;
}

// Multiply-accumulates per sample of conv and linear layers, from the IR graph.
int64_t traced_macs(const ir::Graph& graph) {
  int64_t macs = 0;
  for (const hw::Layer& l : hw::extract_layers(graph).layers) macs += l.macs;
  return macs;
}

// Parameters are LibTorch's: weights, biases and BatchNorm γ/β. Keras summaries
// (the MLPerf Tiny references) also list BN moving mean/variance as
// "non-trainable params"; papers' counts are rounded to two digits and differ
// in whether BN is counted. Hence exact values where we derived the count by
// hand from the reference definition, and a relative tolerance against
// published figures.
struct Expected {
  std::string name;
  int64_t params;         // exact: hand count from the reference definition (comment beside it)
  int64_t macs;           // exact, likewise
  double published_params;
  double published_macs;  // 0: none published
  double tolerance;       // relative, against the published figures
  bool keras_count;       // the published figure is a Keras total (BN moving statistics included)
  std::string source;
};

// Hand counts (conv/linear weights + biases, then BN γ/β; MACs = output
// elements × fan-in):
const std::vector<Expected> kExpected = {
    // conv0 2,624 + 4×(dw 640 + pw 4,160) + fc 780 = 22,604; BN 9×64×2 = 1,152.
    // MACs 320,000 + 4×(72,000 + 512,000) + 768. (Keras total with BN statistics: 24,908.)
    {"ds-cnn", 23'756, 2'656'768, 23'756, 0, 0.0, false,
     "NXP eIQ model zoo README of the MLPerf Tiny KWS DS-CNN: 23,756 params, 5 MOPS (= 2 x 2.66M MACs)"},
    // 448 + 2×2,320 + 4,640 + 9,248 + 544 + 18,496 + 36,928 + 2,112 + 650 = 77,706; BN 240×2.
    {"resnet8", 78'186, 12'501'632, 78e3, 12.5e6, 0.02, true,
     "MLPerf Tiny IC reference (keras_model.py resnet_v1_eembc, 16 filters): 78k params, 12.5M MACs"},
    // 270,906 weights (1×1 shortcuts: +2,560 over option A) + BN 784×2.
    {"resnet20", 272'474, 40'813'184, 0.27e6, 41e6, 0.05, false,
     "He et al. 2016, Table 6: 0.27M params (MACs: the usual 41M)"},
    {"mobilenet-v1-0.25-96", 213'586, 7'489'664, 0, 7.5e6, 0.02, false,
     "MLPerf Tiny VWW reference: 7.5M MACs"},
    {"mobilenet-v1-0.75-224", 2'585'560, 325'400'448, 2.6e6, 325e6, 0.05, false,
     "Howard et al. 2017, Table 6: 2.6M params, 325M mult-adds"},
    {"mobilenet-v1-1.0-224", 4'231'976, 568'740'352, 4.2e6, 569e6, 0.05, false,
     "Howard et al. 2017, Table 6: 4.2M params, 569M mult-adds"},
    {"mobilenet-v2-1.0-224", 3'504'872, 300'774'272, 3.4e6, 300e6, 0.05, false,
     "Sandler et al. 2018, Table 4: 3.4M params, 300M MAdds (3.50M with BN γ/β and the 1280-wide 1×1 conv)"},
    // 82,048 + 3×16,512 + 1,032 + 1,152 + 3×16,512 + 82,560 = 265,864; BN (8×128 + 8)×2.
    {"fc-autoencoder", 267'928, 264'192, 270e3, 0, 0.02, true,
     "MLPerf Tiny AD reference: 270k params (Keras total with BN statistics: 269,992)"},
};

class ZooCounts : public ::testing::TestWithParam<Expected> {};

TEST_P(ZooCounts, ParametersAndTracedMacsMatchPublishedFigures) {
  const Expected& e = GetParam();
  const NetworkSpec* spec = find_network(e.name);
  ASSERT_NE(spec, nullptr);
  torch::manual_seed(1);
  SequentialNet net = build_zoo_network(e.name);
  const int64_t params = parameters(*net);
  EXPECT_EQ(params, e.params);
  const int64_t counted = params + (e.keras_count ? batchnorm_statistics(*net) : 0);
  if (e.published_params > 0) {
    EXPECT_NEAR(static_cast<double>(counted), e.published_params, e.tolerance * e.published_params) << e.source;
  }

  train::quantize_model(*net, train::flat_policy(8, 8));
  testing::init_quantisers_without_data(*net);
  train::TraceOptions options;
  options.input_shape = zoo::input_shape(*spec, 1);
  options.graph_name = e.name;
  const ir::Graph graph = train::trace_model(*net, options);
  EXPECT_NO_THROW(ir::validate(graph));
  const ir::Shape out = graph.tensor(graph.outputs[0]).shape;
  EXPECT_EQ(out, (ir::Shape{1, spec->outputs}));
  // Every zoo network converts to an integer graph (MobileNetV2's adds, which
  // no activation follows, get their quant from ε-harmonisation).
  EXPECT_NO_THROW(ir::validate_integer_graph(ir::passes::convert(graph)));
  const int64_t macs = traced_macs(graph);
  EXPECT_EQ(macs, e.macs);
  // The shape walk (used for the train job's MAC report) agrees with the graph.
  if (spec->input[1] < 224) {
    std::vector<int64_t> shape(spec->input.begin(), spec->input.end());
    if (shape[1] == 0) shape.resize(1);
    SequentialNet fresh = build_zoo_network(e.name);
    EXPECT_EQ(count_macs(*fresh, shape), e.macs);
  }
  if (e.published_macs > 0) {
    EXPECT_NEAR(static_cast<double>(macs), e.published_macs, e.tolerance * e.published_macs) << e.source;
  }
  std::printf("%-24s params %9lld (with BN statistics %9lld)  MACs %11lld\n", e.name.c_str(),
              static_cast<long long>(params), static_cast<long long>(params + batchnorm_statistics(*net)),
              static_cast<long long>(macs));
}

INSTANTIATE_TEST_SUITE_P(Networks, ZooCounts, ::testing::ValuesIn(kExpected), [](const auto& info) {
  std::string n = info.param.name;
  for (char& c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
});

// The small networks run forward at their real input size; of the 224×224
// ones only MobileNetV2 does, once (the others share its code paths).
TEST(Zoo, ForwardGivesOneRowPerSample) {
  for (const char* name : {"ds-cnn", "resnet8", "resnet20", "mobilenet-v1-0.25-96", "fc-autoencoder",
                           "mobilenet-v2-1.0-224"}) {
    const NetworkSpec* spec = find_network(name);
    SequentialNet net = build_zoo_network(name);
    net->eval();
    torch::NoGradGuard no_grad;
    const int64_t batch = spec->input[1] >= 224 ? 1 : 2;
    const torch::Tensor y = net->forward(torch::randn(testing::torch_shape(*spec, batch)));
    EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{batch, spec->outputs})) << name;
  }
}

TEST(Zoo, ResidualMergesAreNamedPolicyLayers) {
  SequentialNet net = resnet8();
  const train::QuantizedLayers layers = train::quantizable_layers(*net);
  const std::vector<std::string> expected{"features.block0_0.add", "features.block1_0.add", "features.block2_0.add"};
  for (const auto& name : expected) {
    EXPECT_NE(std::find(layers.activation_layers.begin(), layers.activation_layers.end(), name),
              layers.activation_layers.end())
        << name;
  }
  // A policy may give the merge its own width.
  const auto policy = train::parse_policy(
      {{"default", "w8a8"}, {"layers", {{{"match", "features.block1_0.add"}, {"activations", 6}}}}}, "test");
  EXPECT_NO_THROW(train::quantize_model(*net, policy));
}

TEST(Zoo, FactoryBuildsEveryNetworkByName) {
  for (const auto& spec : kNetworks) {
    if (spec.input[1] >= 224) continue;  // constructed above; building is all this checks
    lab::ModelConfig config;
    config.arch = std::string(spec.name);
    EXPECT_NE(lab::build_network(config), nullptr) << spec.name;
  }
  lab::ModelConfig unknown;
  unknown.arch = "resnet9000";
  EXPECT_THROW((void)lab::build_network(unknown), ConfigError);
}

TEST(Zoo, ConfigsNameZooNetworks) {
  const auto config = lab::parse_train_config({{"model", {{"arch", "mobilenet-v1-0.25-96"}}}}, "test.json");
  EXPECT_EQ(config.model.arch, "mobilenet-v1-0.25-96");
  EXPECT_THROW((void)lab::parse_train_config({{"model", {{"arch", "resnet9000"}}}}, "test.json"), ConfigError);
}

TEST(Zoo, UnknownNameListsTheKnownOnes) {
  try {
    (void)build_zoo_network("resnet9000");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("mobilenet-v2-1.0-224"), std::string::npos);
  }
}

}  // namespace
}  // namespace bitlab::zoo
