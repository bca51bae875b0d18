// Fake-quantised graph → QONNX: the checker (with QONNX's Quant schema
// registered) accepts every sample network, and each Quant node, evaluated
// with QONNX's reference formula, gives bitlab's codes (integer-spec §4).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "ir/error.h"
#include "onnx/model_io.h"
#include "onnx/qonnx_export.h"
#include "onnx_eval.h"
#include "onnx_test_util.h"
#include "quant/uniform.h"

namespace bitlab::onnx_io {
namespace {

std::map<std::string, const pb::TensorProto*> initializers(const pb::ModelProto& m) {
  std::map<std::string, const pb::TensorProto*> out;
  for (const auto& t : m.graph().initializer()) out[t.name()] = &t;
  return out;
}

std::int64_t attribute_int(const pb::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return a.i();
  }
  return -1;
}

std::string attribute_string(const pb::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return a.s();
  }
  return "";
}

// QONNX's sample implementation (quant_op.md): y = x / scale + zeropt, clamp to
// [min_int, max_int], round by rounding_mode; the code is y − zeropt before
// rescaling. Evaluated in float64 on the float32 constants of the node.
double qonnx_code(double x, double scale, double zeropt, int bits, bool is_signed, bool narrow,
                  const std::string& mode) {
  const double lo = is_signed ? (narrow ? -std::ldexp(1.0, bits - 1) + 1 : -std::ldexp(1.0, bits - 1)) : 0.0;
  const double hi = is_signed ? std::ldexp(1.0, bits - 1) - 1 : (narrow ? std::ldexp(1.0, bits) - 2 : std::ldexp(1.0, bits) - 1);
  const double y = std::clamp(x / scale + zeropt, lo, hi);
  if (mode == "ROUND") return std::nearbyint(y);  // half to even in the default FP environment
  if (mode == "HALF_UP") return std::round(y);    // halves away from zero
  if (mode == "FLOOR") return std::floor(y);
  ADD_FAILURE() << "unexpected rounding_mode " << mode;
  return 0.0;
}

TEST(Qonnx, EverySampleNetworkPassesTheFullCheck) {
  for (const auto& sample : testing::sample_networks(21)) {
    SCOPED_TRACE(sample.name);
    const ir::Graph& fq = sample.fake_quantised;
    const pb::ModelProto model = export_qonnx(fq);
    EXPECT_NO_THROW(check_model(model));
    std::size_t expected_quants = 0;
    for (const ir::Node& n : fq.nodes) {
      if (n.op == ir::OpKind::Quant) ++expected_quants;
      if (n.op == ir::OpKind::Conv2d) expected_quants += n.attrs<ir::Conv2dAttrs>().weight_quant.has_value();
      if (n.op == ir::OpKind::Linear) expected_quants += n.attrs<ir::LinearAttrs>().weight_quant.has_value();
    }
    std::size_t quants = 0;
    for (const auto& n : model.graph().node()) {
      if (n.op_type() != "Quant") continue;
      ++quants;
      EXPECT_EQ(n.domain(), std::string(kQonnxDomain));
      EXPECT_EQ(n.input_size(), 4);
    }
    EXPECT_EQ(quants, expected_quants);
  }
}

// The whole QONNX model, evaluated in float64 by the ONNX / QONNX op specs
// (onnx_eval.h), against bitlab's fake-quantised executor: the same outputs,
// up to float64 rounding in a different order of operations (batch norm, the
// sums) that can move a value sitting on a rounding threshold.
TEST(Qonnx, ModelComputesTheFakeQuantisedGraph) {
  std::size_t close = 0, total = 0;
  for (const auto& sample : testing::sample_networks(31)) {
    SCOPED_TRACE(sample.name);
    const ir::Graph fq = testing::with_float32_constants(sample.fake_quantised);
    const auto inputs = testing::random_inputs(fq, 8, -1.5, 1.5);
    const auto expected = runtime::run_fake_quantised(fq, inputs);
    const auto got = testing::OnnxEvaluator(export_qonnx(fq)).run_real(inputs);
    const std::string& y = fq.outputs.at(0);
    const auto& e = expected.at(y).values;
    const auto& g = got.at(y).values;
    ASSERT_EQ(g.size(), e.size());
    for (std::size_t i = 0; i < e.size(); ++i) close += std::abs(g[i] - e[i]) <= 1e-9 * std::max(1.0, std::abs(e[i]));
    total += e.size();
  }
  std::printf("QONNX vs fake-quantised executor: %zu of %zu outputs equal (to 1e-9)\n", close, total);
  EXPECT_GE(static_cast<double>(close), 0.99 * static_cast<double>(total));
}

TEST(Qonnx, PerChannelWeightScalesBroadcastAlongTheOutputChannels) {
  const ir::Graph fq = ir::passes::testing::classifier_net(4);
  const pb::ModelProto model = export_qonnx(fq);
  const auto init = initializers(model);
  const auto* scale = init.at(fq.nodes.at(1).name + "/weight_quant/scale");  // the conv after the input quant
  ASSERT_EQ(scale->dims_size(), 4);
  EXPECT_EQ(scale->dims(0), 4);
  EXPECT_EQ(scale->dims(1) * scale->dims(2) * scale->dims(3), 1);
}

// One quant node per spec and rounding mode; the exported Quant reproduces
// bitlab's codes on ties, clamps and random values.
TEST(Qonnx, QuantNodeMatchesBitlabQuantiser) {
  const std::vector<quant::QuantSpec> specs = {
      {.bits = 8, .is_signed = true, .narrow_range = true, .scales = {0.125}},
      {.bits = 8, .is_signed = false, .symmetric = false, .scales = {0.0625}, .zero_points = {3}},
      {.bits = 4, .is_signed = false, .narrow_range = true, .symmetric = false, .scales = {0.25}, .zero_points = {2}},
      {.bits = 3, .is_signed = true, .scales = {0.5}},
      {.bits = 1, .is_signed = true, .scales = {1.0}},
      {.bits = 8, .is_signed = true, .symmetric = true, .scales = {0.1}},  // not a float32 value: see below
  };
  int tie_differences = 0;
  for (const quant::RoundingMode mode :
       {quant::RoundingMode::HalfToEven, quant::RoundingMode::HalfAwayFromZero, quant::RoundingMode::Floor}) {
    for (const quant::QuantSpec& spec : specs) {
      ir::Graph g;
      g.name = "q";
      g.add_tensor(ir::float_tensor("x", {1, 161}));
      g.add_tensor(ir::float_tensor("y", {1, 161}));
      g.add_node({"quant", ir::OpKind::Quant, {"x"}, {"y"}, ir::QuantAttrs{spec, mode}});
      g.inputs = {"x"};
      g.outputs = {"y"};
      const pb::ModelProto model = export_qonnx(g);
      ASSERT_NO_THROW(check_model(model));
      const pb::NodeProto& n = model.graph().node(0);
      const auto init = initializers(model);
      const double scale = init.at("quant/scale")->float_data(0);
      const double zeropt = init.at("quant/zeropt")->float_data(0);
      const int bits = static_cast<int>(init.at("quant/bitwidth")->float_data(0));
      // QONNX holds the scale in float32; bitlab's spec with that scale must agree exactly.
      quant::QuantSpec f32 = spec;
      f32.scales = {scale};
      for (int k = -80; k <= 80; ++k) {
        const float x = static_cast<float>(k * spec.scales[0] / 2 + (k % 7 == 0 ? 0.0 : 1e-3 * k));
        const double expected = quant::quantise_value(x, f32, 0, {mode});
        const double got = qonnx_code(x, scale, zeropt, bits, attribute_int(n, "signed") == 1,
                                      attribute_int(n, "narrow") == 1, attribute_string(n, "rounding_mode"));
        // The one difference (docs/formats.md, "QONNX"): QONNX rounds x/s + z, bitlab
        // rounds x/s and then adds z; with z ≠ 0 an exact tie can go the other way.
        const double v = static_cast<double>(x) / scale;
        const bool tie = v - std::floor(v) == 0.5;
        if (tie && zeropt != 0.0 && mode != quant::RoundingMode::Floor) {
          tie_differences += got != expected;
          continue;
        }
        ASSERT_EQ(got, expected) << "x = " << x << ", bits " << spec.bits << ", mode " << quant::to_string(mode);
      }
    }
  }
  EXPECT_GT(tie_differences, 0);  // the difference is real, not hypothetical
}

TEST(Qonnx, RefusesWhatQonnxCannotSay) {
  ir::Graph g;
  g.name = "q";
  g.add_tensor(ir::float_tensor("x", {1, 4}));
  g.add_tensor(ir::float_tensor("y", {1, 4}));
  g.add_node({"quant", ir::OpKind::Quant, {"x"}, {"y"},
              ir::QuantAttrs{{.bits = 4, .scales = {0.5}}, quant::RoundingMode::Stochastic}});
  g.inputs = {"x"};
  g.outputs = {"y"};
  EXPECT_THROW((void)export_qonnx(g), ir::GraphError);
  EXPECT_THROW((void)export_qonnx(ir::passes::convert(ir::passes::testing::classifier_net(1))), ir::GraphError);
}

}  // namespace
}  // namespace bitlab::onnx_io
