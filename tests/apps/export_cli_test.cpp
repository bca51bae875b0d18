// `bitlab zoo export` and `bitlab export` as a user runs them: the graphs and
// ONNX models they write load back, and bad input is a clear error naming the
// field. The library paths are tested in tests/onnx and tests/ir_passes.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ir/serialize.h"
#include "ir/validate.h"
#include "networks.h"
#include "onnx/model_io.h"
#include "support/cli_runner.h"
#include "support/synthetic_dataset.h"

namespace bitlab {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_bitlab;

// Weight bits of each Linear node's weight constant, by node name.
std::map<std::string, int> linear_weight_bits(const ir::Graph& g) {
  std::map<std::string, int> bits;
  for (const ir::Node& n : g.nodes) {
    if (n.op == ir::OpKind::Linear) bits[n.name] = g.tensor(n.inputs.at(1)).type.bits;
  }
  return bits;
}

int count_ops(const onnx_io::pb::ModelProto& m, const std::string& op_type) {
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op_type ? 1 : 0;
  return n;
}

TEST(ZooExportCli, WritesAValidIntegerGraphAndItsQLinearPeer) {
  testing::TempDir dir;
  const auto out = dir / "ae.tq.json";
  const auto onnx = dir / "ae.onnx";
  const auto r = run_bitlab("zoo export fc-autoencoder --policy w8a8 --seed 1 --out " + out.string() +
                            " --qlinear-onnx " + onnx.string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("fc-autoencoder"));
  EXPECT_THAT(r.output, HasSubstr("policy w8a8, seed 1"));

  const ir::Graph graph = ir::load_graph(out);
  EXPECT_NO_THROW(ir::validate_integer_graph(graph));
  EXPECT_TRUE(std::filesystem::exists(ir::weights_path_for(out)));
  EXPECT_EQ(graph.tensor(graph.inputs.at(0)).shape, (ir::Shape{1, 640}));
  const auto bits = linear_weight_bits(graph);
  EXPECT_EQ(bits.size(), 10u);  // fc0..fc8 and fc_out
  for (const auto& [name, b] : bits) EXPECT_EQ(b, 8) << name;

  const onnx_io::pb::ModelProto model = onnx_io::load_model(onnx);
  EXPECT_NO_THROW(onnx_io::check_model(model));
  EXPECT_EQ(count_ops(model, "QLinearConv") + count_ops(model, "QLinearMatMul"), 10);
}

// A policy file with per-layer rules: the first and last layers stay 8-bit.
TEST(ZooExportCli, AppliesAMixedPolicyFile) {
  testing::TempDir dir;
  std::ofstream(dir / "mixed.json") << R"({"default": "w4a8", "layers": [
      {"match": "layers.fc0", "weights": 8}, {"match": "layers.fc_out", "weights": 8}]})";
  const auto out = dir / "ae.tq.json";
  const auto r = run_bitlab("zoo export fc-autoencoder --policy " + (dir / "mixed.json").string() + " --out " +
                            out.string());
  ASSERT_EQ(r.status, 0) << r.output;
  const ir::Graph graph = ir::load_graph(out);
  EXPECT_NO_THROW(ir::validate_integer_graph(graph));
  std::map<int, int> layers_by_bits;
  for (const auto& [name, b] : linear_weight_bits(graph)) ++layers_by_bits[b];
  EXPECT_EQ(layers_by_bits, (std::map<int, int>{{4, 8}, {8, 2}}));
}

TEST(ZooExportCli, BadNetworkOrPolicyIsAConfigErrorNamingIt) {
  testing::TempDir dir;
  const auto out = dir / "x.tq.json";

  auto r = run_bitlab("zoo export no-such-net --out " + out.string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"no-such-net\" is not a zoo network"));
  EXPECT_THAT(r.output, HasSubstr("fc-autoencoder"));  // the names to pick from

  r = run_bitlab("zoo export fc-autoencoder --policy w4b8 --out " + out.string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--policy"));
  EXPECT_THAT(r.output, HasSubstr("\"w4b8\""));

  std::ofstream(dir / "typo.json") << R"({"default": "w4a8", "layers": [{"match": "layers.fc99", "weights": 8}]})";
  r = run_bitlab("zoo export fc-autoencoder --policy " + (dir / "typo.json").string() + " --out " + out.string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("typo.json"));
  EXPECT_THAT(r.output, HasSubstr("/layers/0/match"));
  EXPECT_THAT(r.output, HasSubstr("layers.fc99"));

  std::ofstream(dir / "misspelt.json") << R"({"default": "w4a8", "wieghts": 8})";
  r = run_bitlab("zoo export fc-autoencoder --policy " + (dir / "misspelt.json").string() + " --out " + out.string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("/wieghts: unknown key"));

  EXPECT_FALSE(std::filesystem::exists(out)) << "no graph is written on an error";
}

// A small fake-quantised classifier (tests/ir_passes/networks.h) as a user's
// NET.fq.tq.json, and its integer conversion as NET.tq.json.
struct Graphs {
  std::filesystem::path fake_quantised, integer;
};

Graphs write_graphs(const testing::TempDir& dir) {
  const ir::Graph fq = ir::passes::testing::classifier_net(5);
  const Graphs paths{dir / "net.fq.tq.json", dir / "net.tq.json"};
  ir::save_graph(fq, paths.fake_quantised);
  ir::save_graph(ir::passes::convert(fq), paths.integer);
  return paths;
}

TEST(ExportCli, WritesIntegerOnnxAndQonnx) {
  testing::TempDir dir;
  const Graphs g = write_graphs(dir);

  auto r = run_bitlab("export " + g.integer.string() + " --format onnx --out " + (dir / "int.onnx").string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("onnx::checker passed"));
  const onnx_io::pb::ModelProto integer = onnx_io::load_model(dir / "int.onnx");
  EXPECT_NO_THROW(onnx_io::check_model(integer));
  EXPECT_GT(integer.graph().node_size(), 0);
  EXPECT_EQ(count_ops(integer, "Quant"), 0);

  // A fake-quantised graph exported as onnx is converted first.
  r = run_bitlab("export " + g.fake_quantised.string() + " --out " + (dir / "fq.onnx").string() +
                 " --carrier float64");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("values carried in float64"));
  EXPECT_TRUE(std::filesystem::exists(dir / "fq.onnx"));

  r = run_bitlab("export " + g.fake_quantised.string() + " --format qonnx --out " + (dir / "q.onnx").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const onnx_io::pb::ModelProto qonnx = onnx_io::load_model(dir / "q.onnx");
  EXPECT_NO_THROW(onnx_io::check_model(qonnx));
  EXPECT_GT(count_ops(qonnx, "Quant"), 0);
}

TEST(ExportCli, MissingFileOrWrongGraphKindIsAClearError) {
  testing::TempDir dir;
  const Graphs g = write_graphs(dir);

  const auto missing = dir / "no-such.tq.json";
  auto r = run_bitlab("export " + missing.string() + " --out " + (dir / "m.onnx").string());
  EXPECT_EQ(r.status, 4) << r.output;  // IoError
  EXPECT_THAT(r.output, HasSubstr(missing.string()));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.onnx"));

  // QONNX needs the fake-quantised graph; the error says how to write one.
  r = run_bitlab("export " + g.integer.string() + " --format qonnx --out " + (dir / "q.onnx").string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("is an integer graph"));
  EXPECT_THAT(r.output, HasSubstr("--fake-quantised-out"));
  EXPECT_FALSE(std::filesystem::exists(dir / "q.onnx"));

  r = run_bitlab("export " + g.integer.string() + " --format tflite --out " + (dir / "t.onnx").string());
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--format"));
  EXPECT_THAT(r.output, Not(HasSubstr("written to")));
}

}  // namespace
}  // namespace bitlab
