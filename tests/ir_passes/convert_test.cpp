#include "ir/passes/convert.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "ir/passes/conversion_error.h"
#include "ir/validate.h"
#include "networks.h"
#include "sample_graphs.h"

namespace bitlab::ir::passes::testing {
namespace {

TEST(Convert, GivesAnIntegerGraphWithTheSameInputAndOutputNames) {
  const Graph fq = classifier_net(3);
  const Graph g = convert(fq);
  EXPECT_NO_THROW(validate_integer_graph(g));
  EXPECT_TRUE(is_integer_only(g));
  EXPECT_EQ(g.inputs, fq.inputs);
  EXPECT_EQ(g.outputs, fq.outputs);
  // Conv, requant (ReLU fused), avgpool, requant, flatten, linear, requant.
  std::vector<OpKind> ops;
  for (const Node& n : g.nodes) ops.push_back(n.op);
  EXPECT_EQ(ops, (std::vector<OpKind>{OpKind::Conv2d, OpKind::Requant, OpKind::AvgPool, OpKind::Requant,
                                      OpKind::Flatten, OpKind::Linear, OpKind::Requant}));
  const auto& rq = g.nodes[1].attrs<RequantAttrs>();
  EXPECT_EQ(rq.lo, g.tensor(g.nodes[1].output()).quant().zero_point());  // the ReLU, §10.2
}

TEST(Convert, InputQuantisersNameTheInputQuant) {
  const Graph fq = residual_net(2);
  const auto q = input_quantisers(fq);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].name, "x");
  EXPECT_EQ(q[0].spec, fq.nodes[0].attrs<QuantAttrs>().spec);
  EXPECT_EQ(convert(fq).tensor("x").code_spec().scales, q[0].spec.scales);
}

TEST(Convert, RefusesAnAvgpoolWhoseMeanIsNeverQuantised) {
  // The sample float graph adds the avgpool's float mean without quantising it.
  try {
    (void)convert(ir::testing::float_net());
    FAIL() << "expected a ConversionError";
  } catch (const ConversionError& e) {
    EXPECT_NE(std::string(e.what()).find("\"ap\" is not quantised"), std::string::npos) << e.what();
  }
}

// Random networks and multiplier widths: the integer runtime equals the
// float64 simulation bit for bit, and the outputs stay within one step.
RC_GTEST_PROP(ConvertProperty, IntegerMatchesSimulationAndFakeQuantised, (std::uint64_t seed)) {
  const int kind = *rc::gen::inRange(0, 4);
  const int bits = *rc::gen::element(31, 24, 16);
  const Graph fq = kind == 0 ? classifier_net(seed) : kind == 1 ? residual_net(seed, seed % 2 == 0)
                   : kind == 2 ? depthwise_net(seed) : concat_net(seed, seed % 2 == 0);
  FloatGraph in("in", seed + 17);
  in.graph = fq;
  ConversionOptions options;
  options.dyadic.multiplier_bits = bits;
  const Fidelity f = measure_fidelity(fq, in.random_inputs(kind == 0 || kind == 2 ? -1.0 : 0.0, 1.0), options);
  RC_ASSERT(f.simulation_bit_exact);
  // Per network (32–80 outputs) a one-step difference at an inner requant can
  // reach the output as several steps where a later grid is finer than the
  // one before it (docs/conversion.md, "Fidelity"); the aggregate bounds are
  // in fidelity_test.cpp.
  RC_ASSERT(static_cast<double>(f.within_one_step) >= 0.75 * static_cast<double>(f.elements));
  RC_ASSERT(static_cast<double>(f.argmax_agree) >= 0.75 * static_cast<double>(f.rows));
}

}  // namespace
}  // namespace bitlab::ir::passes::testing
