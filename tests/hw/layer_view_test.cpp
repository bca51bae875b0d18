#include "hw/layer_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../ir/sample_graphs.h"
#include "test_graphs.h"

namespace bitlab::hw {
namespace {

using ::testing::HasSubstr;
using testing::small_net;
using testing::small_net_policy;

TEST(LayerView, ExtractsComputeLayersWithShapesAndCounts) {
  const LayerView view = extract_layers(small_net(), small_net_policy());
  ASSERT_EQ(view.layers.size(), 6U);  // conv1, pool1, conv2, add, avg, fc; relu and flatten are no layers

  const Layer& conv1 = view.layer("conv1");
  EXPECT_EQ(conv1.kind, LayerKind::Conv2d);
  EXPECT_EQ(conv1.step, 0);
  EXPECT_EQ(conv1.input_shape, (ir::Shape{3, 8, 8}));
  EXPECT_EQ(conv1.output_shape, (ir::Shape{4, 8, 8}));
  EXPECT_EQ(conv1.weight_elements, 4 * 3 * 3 * 3);
  EXPECT_EQ(conv1.bias_elements, 4);
  EXPECT_EQ(conv1.macs, 4 * 8 * 8 * 3 * 3 * 3);  // O·Ho·Wo·I·kh·kw = 6912

  const Layer& conv2 = view.layer("conv2");
  EXPECT_EQ(conv2.kind, LayerKind::DepthwiseConv2d);
  EXPECT_EQ(conv2.groups, 4);
  EXPECT_EQ(conv2.macs, 4 * 4 * 4 * 1 * 3 * 3);  // 576
  EXPECT_EQ(conv2.bias_elements, 0);

  EXPECT_EQ(view.layer("fc").macs, 160);
  EXPECT_EQ(view.layer("pool1").compares, 3 * 64);  // (2·2 − 1) per output
  EXPECT_EQ(view.layer("add").adds, 64);
  EXPECT_EQ(view.layer("add").input_elements, 128);
  EXPECT_EQ(view.layer("avg").adds, 3 * 16);
  EXPECT_TRUE(view.layer("fc").is_graph_output);
  EXPECT_FALSE(view.layer("avg").is_graph_output);
}

TEST(LayerView, BitsFlowFromProducersToConsumers) {
  const LayerView view = extract_layers(small_net(), small_net_policy());
  EXPECT_EQ(view.layer("conv1").input_bits, 8);   // the graph input
  EXPECT_EQ(view.layer("conv1").weight_bits, 4);
  EXPECT_EQ(view.layer("conv1").output_bits, 4);
  EXPECT_EQ(view.layer("pool1").input_bits, 4);   // through relu1
  EXPECT_EQ(view.layer("pool1").output_bits, 4);  // max pooling keeps its input's codes
  EXPECT_EQ(view.layer("conv2").input_bits, 4);
  EXPECT_EQ(view.layer("add").input_bits, 8);     // the wider of pool1 (4) and conv2 (8)
  EXPECT_EQ(view.layer("add").weight_bits, 0);
  EXPECT_EQ(view.layer("fc").input_bits, 8);      // avg (default 8) through flatten
}

TEST(LayerView, NamedActivationPointReSetsTheLayerOutput) {
  PrecisionAssignment p = small_net_policy();
  p.layers["relu1"] = {8, 2};  // a policy's activation quantiser after conv1
  const LayerView view = extract_layers(small_net(), p);
  EXPECT_EQ(view.layer("conv1").output_bits, 2);  // stored at its last alias's width
  EXPECT_EQ(view.layer("pool1").input_bits, 2);
}

TEST(LayerView, ActivationValuesMergeAliasesAndSpanTheirUses) {
  const LayerView view = extract_layers(small_net(), small_net_policy());
  ASSERT_EQ(view.values.size(), 7U);  // x, conv1(+relu1), pool1, conv2, add, avg(+flatten), fc
  const ActivationValue& x = view.values[0];
  EXPECT_TRUE(x.is_graph_input);
  EXPECT_EQ(x.elements, 192);
  EXPECT_EQ(x.first_step, 0);
  EXPECT_EQ(x.last_step, 0);
  const ActivationValue& c1 = view.values[1];
  EXPECT_EQ(c1.name, "conv1.out");
  EXPECT_EQ(c1.bits, 4);
  EXPECT_EQ(c1.last_step, 2);  // read by pool1 through relu1
  const ActivationValue& p1 = view.values[2];
  EXPECT_EQ(p1.first_step, 2);
  EXPECT_EQ(p1.last_step, 4);  // read by conv2 (3) and add (4)
  const ActivationValue& avg = view.values[5];
  EXPECT_EQ(avg.last_step, 7);  // read by fc through flatten
  EXPECT_TRUE(view.values[6].is_graph_output);
  // Every non-constant tensor per sample: 192 + 256 + 256 + 64 + 64 + 64 + 16 + 16 + 10.
  EXPECT_EQ(view.all_activation_elements, 938);
  EXPECT_EQ(view.constant_elements, 108 + 4 + 36 + 160 + 10);
}

TEST(LayerView, BatchDimensionIsDividedOut) {
  testing::GraphBuilder b;
  const std::string x = b.input("x", {4, 20});
  const std::string y = b.linear("fc", x, 20, 5);
  const LayerView view = extract_layers(b.finish({y}), PrecisionAssignment::uniform(8, 8));
  EXPECT_EQ(view.layer("fc").macs, 100);
  EXPECT_EQ(view.layer("fc").input_elements, 20);
  EXPECT_EQ(view.values[0].elements, 20);
}

TEST(LayerView, UnknownNamesAndBadWidthsAreErrors) {
  PrecisionAssignment p = small_net_policy();
  p.layers["conv_1"] = {4, 4};
  EXPECT_THAT([&] { (void)extract_layers(small_net(), p); },
              ::testing::ThrowsMessage<std::invalid_argument>(
                  AllOf(HasSubstr("\"conv_1\""), HasSubstr("did you mean \"conv1\""), HasSubstr("conv1, pool1, conv2"))));
  PrecisionAssignment bad = small_net_policy();
  bad.layers["fc"] = {0, 8};
  EXPECT_THAT([&] { (void)extract_layers(small_net(), bad); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("\"fc\" weights: 0 bits")));
}

TEST(PrecisionFromGraph, ReadsAnIntegerGraphsWidths) {
  const ir::Graph g = ir::testing::integer_net();
  const PrecisionAssignment p = precision_from_graph(g);
  EXPECT_EQ(p.input_bits, 8);
  EXPECT_EQ(p.of("conv1"), (LayerPrecision{4, 8}));  // int4 weights, requantised to uint8
  EXPECT_EQ(p.of("fc"), (LayerPrecision{8, 8}));
  EXPECT_FALSE(p.names("pool1"));  // max pooling passes its input's width on

  const LayerView view = extract_layers(g);
  ASSERT_EQ(view.layers.size(), 3U);
  EXPECT_EQ(view.layer("conv1").macs, 3 * 2 * 3 * 3 * 16);
  EXPECT_EQ(view.layer("conv1").output_bits, 8);  // the uint8 codes, not the int32 accumulator
  EXPECT_EQ(view.layer("fc").input_bits, 8);
  EXPECT_EQ(view.layer("fc").macs, 60);
  ASSERT_EQ(view.values.size(), 4U);  // x, acc1+a1, p1+f1, acc2+y
  EXPECT_EQ(view.values[1].bits, 8);
  EXPECT_EQ(view.values[1].last_step, 2);
}

TEST(PrecisionFromGraph, ReadsAFakeQuantisedGraphsWidths) {
  const ir::Graph g = ir::testing::float_net();
  const PrecisionAssignment p = precision_from_graph(g);
  EXPECT_EQ(p.input_bits, 8);                        // the Quant node after x
  EXPECT_EQ(p.of("conv"), (LayerPrecision{4, 8}));  // weight_quant; q1 after bn and relu
  EXPECT_EQ(p.of("add").activation_bits, 32);        // never re-quantised: float32
}

}  // namespace
}  // namespace bitlab::hw
