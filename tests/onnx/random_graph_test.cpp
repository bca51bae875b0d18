// Property: random integer graphs (every integer op, per-channel weight zero
// points, dilations, depthwise, code widths 2…16, multipliers of 8…31 bits)
// survive export → checker → import unchanged, and compute the same codes.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "onnx/integer_export.h"
#include "onnx/integer_import.h"
#include "onnx/model_io.h"
#include "onnx_eval.h"
#include "random_graph.h"

namespace bitlab::onnx_io {
namespace {

// Wider than the runtime properties: 8-bit weights, 31-bit multipliers, a
// 16-bit output, a reshape, and scales off powers of two.
ir::Graph random_graph() {
  return runtime::testing::random_graph({.power_of_two_scales = false,
                                         .max_weight_bits = 8,
                                         .max_multiplier_bits = 31,
                                         .max_output_bits = 16,
                                         .reshape = true});
}

RC_GTEST_PROP(IntegerOnnxProperty, RandomGraphsRoundTripBitForBit, ()) {
  const ir::Graph g = random_graph();
  const pb::ModelProto model = export_integer(g);
  check_model(model);  // throws, failing the property, on any checker complaint
  const ir::Graph back = import_integer(model);
  RC_ASSERT(back.nodes == g.nodes);
  for (const ir::Tensor& t : g.tensors) RC_ASSERT(back.tensor(t.name) == t);
  const runtime::IntTensorMap in = runtime::testing::random_inputs(g);
  const runtime::IntTensorMap reference = runtime::run_reference(g, in);
  RC_ASSERT(runtime::run_reference(back, in) == reference);
  // The ONNX ops themselves, evaluated by their spec in the carrier type.
  RC_ASSERT(testing::OnnxEvaluator(model).run(in) == reference);
}

}  // namespace
}  // namespace bitlab::onnx_io
