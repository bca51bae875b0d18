// Integer graph → standard ONNX → integer graph: the checker accepts the model,
// the import gives back the same nodes and tensors, and the reference runtime
// computes the same codes bit for bit; bad models fail with clear errors.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "ir/error.h"
#include "onnx/integer_export.h"
#include "onnx/integer_import.h"
#include "onnx/model_io.h"
#include "onnx_eval.h"
#include "onnx_test_util.h"

namespace bitlab::onnx_io {
namespace {

using testing::sample_networks;

struct Converted {
  ir::Graph integer;
  runtime::IntTensorMap codes;  // random input codes
};

Converted converted(const ir::Graph& fq, std::uint64_t seed) {
  Converted c{ir::passes::convert(fq), {}};
  c.codes = ir::passes::testing::quantise_inputs(fq, testing::random_inputs(fq, seed, -1.5, 1.5));
  return c;
}

std::string metadata(const pb::ModelProto& m, const std::string& key) {
  for (const auto& e : m.metadata_props()) {
    if (e.key() == key) return e.value();
  }
  return "";
}

TEST(IntegerOnnx, RoundTripsEverySampleNetworkBitForBit) {
  for (const auto& sample : sample_networks(11)) {
    SCOPED_TRACE(sample.name);
    const Converted c = converted(sample.fake_quantised, 5);
    const pb::ModelProto model = export_integer(c.integer);
    EXPECT_NO_THROW(check_model(model));
    EXPECT_EQ(metadata(model, "bitlab.carrier"), "float32");  // 8-bit sums of these nets stay below 2^24

    const testing::ScratchDir dir(sample.name);
    save_model(model, dir.path() / "net.onnx");
    const ir::Graph back = import_integer(load_model(dir.path() / "net.onnx"), "net.onnx");

    EXPECT_EQ(back.nodes, c.integer.nodes);
    EXPECT_EQ(back.inputs, c.integer.inputs);
    EXPECT_EQ(back.outputs, c.integer.outputs);
    ASSERT_EQ(back.tensors.size(), c.integer.tensors.size());
    for (const ir::Tensor& t : c.integer.tensors) EXPECT_EQ(back.tensor(t.name), t) << t.name;

    for (const std::uint64_t seed : {1u, 2u, 3u}) {
      const auto codes = ir::passes::testing::quantise_inputs(
          sample.fake_quantised, testing::random_inputs(sample.fake_quantised, seed, -2.0, 2.0));
      const runtime::IntTensorMap reference = runtime::run_reference(c.integer, codes);
      EXPECT_EQ(runtime::run_reference(back, codes), reference);
      // The exported ops, evaluated by the ONNX spec in float32: the carrier is exact.
      EXPECT_EQ(testing::OnnxEvaluator(model).run(codes), reference);
    }
  }
}

TEST(IntegerOnnx, Float64CarrierRoundTripsAndFloat32IsRefusedWhenSumsAreTooLarge) {
  const Converted c = converted(ir::passes::testing::classifier_net(3), 4);
  const pb::ModelProto model = export_integer(c.integer, {.carrier = Carrier::Float64});
  EXPECT_NO_THROW(check_model(model));
  EXPECT_EQ(metadata(model, "bitlab.carrier"), "float64");
  const ir::Graph back = import_integer(model);
  EXPECT_EQ(runtime::run_reference(back, c.codes), runtime::run_reference(c.integer, c.codes));
  EXPECT_EQ(testing::OnnxEvaluator(model).run(c.codes), runtime::run_reference(c.integer, c.codes));

  // Scale one weight up until the conv's bound passes 2^24: float32 cannot carry it.
  ir::Graph big = c.integer;
  for (ir::Tensor& t : big.tensors) {
    if (t.int_data && t.type.bits == 32) {  // a bias: |bias| adds to the bound directly
      (*t.int_data)[0] = std::int64_t{1} << 25;
      break;
    }
  }
  try {
    (void)export_integer(big, {.carrier = Carrier::Float32});
    FAIL() << "expected a GraphError";
  } catch (const ir::GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("float32 does not hold exactly"), std::string::npos) << e.what();
  }
  EXPECT_EQ(metadata(export_integer(big), "bitlab.carrier"), "float64");
}

// Every rounding runs in int64 with Mod / Div, never in float: the requant
// chain is the one docs/formats.md lists.
TEST(IntegerOnnx, RequantIsExactInt64Arithmetic) {
  const Converted c = converted(ir::passes::testing::classifier_net(7), 1);
  const pb::ModelProto model = export_integer(c.integer);
  std::vector<std::string> ops;
  bool in_requant = false;
  for (const auto& n : model.graph().node()) {
    if (n.op_type() == "Cast" && !in_requant) in_requant = true, ops.clear();
    if (in_requant) ops.push_back(n.op_type());
    if (in_requant && ops.size() == 10) break;
  }
  EXPECT_EQ(ops, (std::vector<std::string>{"Cast", "Sub", "Mul", "Add", "Mod", "Sub", "Div", "Add", "Clip", "Cast"}));
}

class IntegerOnnxErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    c_ = converted(ir::passes::testing::residual_net(2), 3);
    model_ = export_integer(c_.integer);
  }
  std::string import_error(const pb::ModelProto& m) {
    try {
      (void)import_integer(m, "bad.onnx");
    } catch (const IoError& e) {
      return e.what();
    }
    return "no error";
  }
  Converted c_;
  pb::ModelProto model_;
};

TEST_F(IntegerOnnxErrors, UnknownOp) {
  pb::ModelProto m = model_;
  for (auto& n : *m.mutable_graph()->mutable_node()) {
    if (n.op_type() == "MaxPool") n.set_op_type("LpPool");
  }
  const std::string e = import_error(m);
  EXPECT_NE(e.find("bad.onnx: node"), std::string::npos) << e;
  EXPECT_NE(e.find("unsupported op or node pattern [LpPool]"), std::string::npos) << e;
}

TEST_F(IntegerOnnxErrors, MissingPrecisionAnnotation) {
  pb::ModelProto m = model_;
  const std::string out = m.graph().output(0).name();
  auto* props = m.mutable_metadata_props();
  for (int i = 0; i < props->size(); ++i) {
    if (props->Get(i).key() == "bitlab.tensor:" + out) props->DeleteSubrange(i, 1);
  }
  const std::string e = import_error(m);
  EXPECT_NE(e.find("has no precision annotation (metadata_props \"bitlab.tensor:" + out), std::string::npos) << e;
}

TEST_F(IntegerOnnxErrors, MalformedAnnotationAndForeignModel) {
  pb::ModelProto m = model_;
  for (auto& p : *m.mutable_metadata_props()) {
    if (p.key().starts_with("bitlab.tensor:")) {
      p.set_value(R"({"type": "int99"})");
      break;
    }
  }
  EXPECT_NE(import_error(m).find("bad.onnx: metadata_props \"bitlab.tensor:"), std::string::npos) << import_error(m);

  pb::ModelProto foreign = model_;
  foreign.clear_metadata_props();
  EXPECT_NE(import_error(foreign).find("not a bitlab integer ONNX model"), std::string::npos);
}

TEST_F(IntegerOnnxErrors, TamperedRoundingConstant) {
  pb::ModelProto m = model_;
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    if (t.name().ends_with("/half") && t.int64_data_size() == 1) t.set_int64_data(0, t.int64_data(0) + 1);
  }
  EXPECT_NE(import_error(m).find("expected 2^(s−1)"), std::string::npos) << import_error(m);
}

TEST_F(IntegerOnnxErrors, TruncatedAndMissingFiles) {
  const testing::ScratchDir dir("truncated");
  const auto path = dir.path() / "net.onnx";
  save_model(model_, path);
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size / 2);
  try {
    (void)load_model(path);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("net.onnx: is not a complete ONNX model"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)load_model(dir.path() / "missing.onnx"), IoError);
}

TEST_F(IntegerOnnxErrors, CheckerRejectsABrokenModel) {
  pb::ModelProto m = model_;
  m.mutable_graph()->mutable_node(0)->set_input(0, "no_such_tensor");
  EXPECT_THROW(check_model(m), std::invalid_argument);
}

}  // namespace
}  // namespace bitlab::onnx_io
