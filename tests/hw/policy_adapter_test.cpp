// The policy adapter: a train::PrecisionPolicy onto tracer-named IR graphs.
#include "hw/policy_adapter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "hw/layer_view.h"
#include "test_graphs.h"

namespace bitlab::hw {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::GraphBuilder;

ir::QuantAttrs quant(int bits) {
  return {quant::QuantSpec{.bits = bits, .is_signed = false, .symmetric = false, .scales = {0.1}, .zero_points = {0}},
          quant::RoundingMode::HalfToEven};
}

// What train::trace_model emits for the Fashion-MNIST CNN, in miniature:
// images → input_quantizer → features.conv0 → features.relu0.relu → features.relu0 (quant)
//   → features.pool0 → classifier.flatten → classifier.fc0 → classifier.relu_fc0.relu → classifier.relu_fc0
//   → classifier.fc_out → classifier.fc_out.output_quant
ir::Graph traced_net() {
  GraphBuilder b("traced");
  std::string t = b.input("images", {1, 1, 8, 8});
  t = b.op("input_quantizer", ir::OpKind::Quant, {t}, quant(8));
  t = b.conv("features.conv0", t, 1, 4, 3, {.padding = {1, 1}});
  t = b.relu("features.relu0.relu", t);
  t = b.op("features.relu0", ir::OpKind::Quant, {t}, quant(8));
  t = b.pool("features.pool0", ir::OpKind::MaxPool, t, 2, 2);
  t = b.op("classifier.flatten", ir::OpKind::Flatten, {t}, ir::FlattenAttrs{});
  t = b.linear("classifier.fc0", t, 64, 16);
  t = b.relu("classifier.relu_fc0.relu", t);
  t = b.op("classifier.relu_fc0", ir::OpKind::Quant, {t}, quant(8));
  t = b.linear("classifier.fc_out", t, 16, 10);
  t = b.op("classifier.fc_out.output_quant", ir::OpKind::Quant, {t}, quant(16));
  return b.finish({t});
}

train::PrecisionPolicy policy(const std::string& json) { return train::parse_policy(nlohmann::json::parse(json), "p.json"); }

TEST(PolicyAdapter, NamesWeightLayersAndActivationPoints) {
  const PolicyLayerNames names = policy_layer_names(traced_net());
  EXPECT_THAT(names.weight_layers, ElementsAre("features.conv0", "classifier.fc0", "classifier.fc_out"));
  EXPECT_THAT(names.activation_points, ElementsAre("features.relu0", "classifier.relu_fc0"));
}

TEST(PolicyAdapter, MixedPolicySetsWeightAndOutputBitsPerLayer) {
  const PrecisionAssignment p = precision_from_policy(
      traced_net(), policy(R"({"default": "w4a4", "input": 6, "layers": [
          {"match": "features.conv0", "weights": 8},
          {"match": "re:classifier\\.relu.*", "activations": 2}]})"));
  EXPECT_EQ(p.input_bits, 6);
  const LayerView view = extract_layers(traced_net(), p);
  const Layer& conv = view.layer("features.conv0");
  EXPECT_EQ(conv.weight_bits, 8);
  EXPECT_EQ(conv.input_bits, 6);
  EXPECT_EQ(conv.output_bits, 4);  // features.relu0 at the default a4
  const Layer& fc0 = view.layer("classifier.fc0");
  EXPECT_EQ(fc0.weight_bits, 4);
  EXPECT_EQ(fc0.input_bits, 4);   // through the max pool and flatten
  EXPECT_EQ(fc0.output_bits, 2);  // classifier.relu_fc0
  const Layer& out = view.layer("classifier.fc_out");
  EXPECT_EQ(out.weight_bits, 4);
  EXPECT_EQ(out.input_bits, 2);
  EXPECT_EQ(out.output_bits, 16);  // the tracer's output quant is not the policy's
}

TEST(PolicyAdapter, FlatShorthandPolicy) {
  const LayerView view = extract_layers(traced_net(), precision_from_policy(traced_net(), policy(R"("w2a8")")));
  for (const Layer& l : view.layers) {
    if (has_weights(l.kind)) {
      EXPECT_EQ(l.weight_bits, 2) << l.name;
    }
  }
  EXPECT_EQ(view.layer("features.conv0").output_bits, 8);
}

TEST(PolicyAdapter, RuleForAnotherNetworkIsAConfigError) {
  const auto p = policy(R"({"layers": [{"match": "features.conv9", "weights": 2}]})");
  EXPECT_THAT([&] { (void)precision_from_policy(traced_net(), p); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("features.conv9")));
  EXPECT_NO_THROW((void)precision_from_policy(traced_net(), p, {.require_all_rules_used = false}));
}

TEST(PolicyAdapter, ResidualAddBranchQuantisersBelongToTheAdd) {
  // block.add.input_quantizer0/1 quantise the branches of the QAdd "block.add".
  GraphBuilder b("residual");
  const std::string x = b.op("input_quantizer", ir::OpKind::Quant, {b.input("images", {1, 2, 4, 4})}, quant(8));
  const std::string m = b.conv("block.main.conv", x, 2, 2, 1, {});
  const std::string qa = b.op("block.add.input_quantizer0", ir::OpKind::Quant, {m}, quant(8));
  const std::string qb = b.op("block.add.input_quantizer1", ir::OpKind::Quant, {x}, quant(8));
  const std::string s = b.op("block.add", ir::OpKind::Add, {qa, qb}, ir::AddAttrs{});
  const ir::Graph g = b.finish({b.op("block.out", ir::OpKind::Quant, {s}, quant(8))});
  EXPECT_THAT(policy_layer_names(g).activation_points, ElementsAre("block.add", "block.out"));
  const PrecisionAssignment p = precision_from_policy(
      g, policy(R"({"default": "w8a8", "layers": [{"match": "block.add", "activations": 3}]})"));
  const LayerView view = extract_layers(g, p);
  EXPECT_EQ(view.layer("block.main.conv").output_bits, 3);
  EXPECT_EQ(view.layer("block.add").input_bits, 3);
}

}  // namespace
}  // namespace bitlab::hw
