// The graphs the tracer makes of non-uniform weight quantisers (train/trace/
// weight_grid.h) through both ONNX exports: binary weights are ±α codes of a
// 2-bit narrow spec, log2 weights ±2^k codes at a power-of-two scale. QONNX
// evaluates them as the fake-quantised executor does, and the integer export
// runs bit for bit like the reference runtime.
#include <gtest/gtest.h>

#include <cmath>

#include "onnx/integer_export.h"
#include "onnx/model_io.h"
#include "onnx/qonnx_export.h"
#include "networks.h"
#include "onnx_eval.h"
#include "onnx_test_util.h"

namespace bitlab::onnx_io {
namespace {

// Every conv / linear of `g` with per-output-channel weights mapped as the
// tracer maps a binary quantiser (XNOR-Net α = mean|w| of the channel), or a
// 4-bit log2 quantiser (8-bit codes ±2^k, scale 2^e_min).
ir::Graph with_weights(ir::Graph g, const std::string& kind) {
  for (ir::Node& n : g.nodes) {
    std::optional<quant::QuantSpec>* wq = nullptr;
    if (auto* c = std::get_if<ir::Conv2dAttrs>(&n.attributes)) wq = &c->weight_quant;
    if (auto* l = std::get_if<ir::LinearAttrs>(&n.attributes)) wq = &l->weight_quant;
    if (!wq) continue;
    ir::Tensor& w = g.tensor(n.inputs.at(1));
    std::vector<float>& v = *w.float_data;
    const auto channels = static_cast<std::size_t>(w.shape.at(0));
    const std::size_t per = v.size() / channels;
    quant::QuantSpec spec{.bits = kind == "binary" ? 2 : 8, .is_signed = true, .narrow_range = true,
                          .granularity = quant::Granularity::PerChannel, .axis = 0};
    spec.scales.clear();
    for (std::size_t c = 0; c < channels; ++c) {
      float top = 0.0f, mean = 0.0f;
      for (std::size_t i = 0; i < per; ++i) {
        top = std::max(top, std::abs(v[c * per + i]));
        mean += std::abs(v[c * per + i]) / static_cast<float>(per);
      }
      if (kind == "binary") {
        spec.scales.push_back(mean);
        for (std::size_t i = 0; i < per; ++i) v[c * per + i] = v[c * per + i] >= 0 ? mean : -mean;
      } else {
        // 7 exponents below e_max = ceil(log2 top): codes 2^0 .. 2^6, and 0.
        const int e_max = static_cast<int>(std::ceil(std::log2(top)));
        const double scale = std::ldexp(1.0, e_max - 6);
        spec.scale_kind = quant::ScaleKind::PowerOfTwo;
        spec.scales.push_back(scale);
        for (std::size_t i = 0; i < per; ++i) {
          float& x = v[c * per + i];
          const double m = std::abs(x) / scale;
          const double k = m < 0.5 ? 0.0 : std::ldexp(1.0, std::clamp(static_cast<int>(std::lround(std::log2(m))), 0, 6));
          x = static_cast<float>(std::copysign(k * scale, x));
        }
      }
    }
    *wq = spec;
  }
  return g;
}

class NonUniformWeights : public ::testing::TestWithParam<std::string> {};

TEST_P(NonUniformWeights, QonnxComputesTheFakeQuantisedGraph) {
  const ir::Graph fq = testing::with_float32_constants(with_weights(ir::passes::testing::classifier_net(4), GetParam()));
  const pb::ModelProto model = export_qonnx(fq);
  EXPECT_NO_THROW(check_model(model));
  const auto inputs = testing::random_inputs(fq, 8, -1.5, 1.5);
  const auto expected = runtime::run_fake_quantised(fq, inputs).at(fq.outputs.at(0)).values;
  const auto got = testing::OnnxEvaluator(model).run_real(inputs).at(fq.outputs.at(0)).values;
  ASSERT_EQ(got.size(), expected.size());
  std::size_t close = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    close += std::abs(got[i] - expected[i]) <= 1e-9 * std::max(1.0, std::abs(expected[i]));
  }
  // Batch-norm and sums in another order can move a value sitting on a rounding threshold.
  EXPECT_GE(static_cast<double>(close), 0.99 * static_cast<double>(got.size()));
}

TEST_P(NonUniformWeights, IntegerOnnxRunsLikeTheReferenceRuntime) {
  const ir::Graph fq = with_weights(ir::passes::testing::classifier_net(4), GetParam());
  const ir::Graph integer = ir::passes::convert(fq);
  const pb::ModelProto model = export_integer(integer);
  EXPECT_NO_THROW(check_model(model));
  for (const std::uint64_t seed : {1u, 2u}) {
    const auto codes = ir::passes::testing::quantise_inputs(fq, testing::random_inputs(fq, seed, -2.0, 2.0));
    const runtime::IntTensorMap reference = runtime::run_reference(integer, codes);
    EXPECT_EQ(runtime::to_int(runtime::run_simulation(integer, runtime::to_sim(codes))), reference);
    EXPECT_EQ(testing::OnnxEvaluator(model).run(codes), reference);
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, NonUniformWeights, ::testing::Values("binary", "log2"));

}  // namespace
}  // namespace bitlab::onnx_io
