// Integer graph → ORT QLinear model (the speed peer of bench/peer): onnx::checker
// accepts it for every sample network that converts, activations are uint8
// (signed codes shifted to zero point +128) and each conv2d / linear with its
// requant becomes one QLinearConv. Values are not compared: the model is not
// bit-exact by design (onnx/qlinear_export.h).
#include <gtest/gtest.h>
#include <onnx/checker.h>

#include <cstdio>

#include "ir/error.h"
#include "ir/passes/convert.h"
#include "onnx/model_io.h"
#include "onnx/qlinear_export.h"
#include "onnx_test_util.h"

namespace bitlab::onnx_io {
namespace {

TEST(QLinear, SampleNetworksPassTheChecker) {
  int exported = 0;
  for (const auto& sample : testing::sample_networks(11)) {
    SCOPED_TRACE(sample.name);
    const ir::Graph integer = ir::passes::convert(sample.fake_quantised);
    pb::ModelProto model;
    try {
      model = export_qlinear(integer);
    } catch (const ir::GraphError& e) {
      // Only a refusal that names what ORT's ops lack is acceptable.
      EXPECT_NE(std::string(e.what()).find("qlinear export"), std::string::npos) << e.what();
      std::printf("%s: %s\n", sample.name.c_str(), e.what());
      continue;
    }
    ++exported;
    EXPECT_NO_THROW(pb::checker::check_model(model));
    std::size_t convs = 0, matmul_like = 0;
    for (const auto& n : model.graph().node()) convs += n.op_type() == "QLinearConv";
    for (const ir::Node& n : integer.nodes) matmul_like += n.op == ir::OpKind::Conv2d || n.op == ir::OpKind::Linear;
    EXPECT_EQ(convs, matmul_like);
    for (const auto& in : model.graph().input()) {
      EXPECT_EQ(in.type().tensor_type().elem_type(), pb::TensorProto_DataType_UINT8) << in.name();
    }
  }
  EXPECT_GT(exported, 0);
}

}  // namespace
}  // namespace bitlab::onnx_io
