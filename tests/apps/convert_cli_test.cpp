// `bitlab convert` as a user runs it: QAT on synthetic data, then convert
// --verify, then the written graph loads back and validates.
#include <fstream>
#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ir/serialize.h"
#include "ir/validate.h"
#include "support/cli_runner.h"
#include "support/synthetic_dataset.h"

namespace bitlab {
namespace {

using ::testing::HasSubstr;
using testing::run_bitlab;

// The percentage printed on the line containing `label`.
double share(const std::string& output, const std::string& label) {
  const std::regex line(label + R"([^\n]*?([0-9]+\.[0-9]+)%)");
  std::smatch m;
  if (!std::regex_search(output, m, line)) ADD_FAILURE() << "no line \"" << label << "\" in:\n" << output;
  return m.empty() ? -1.0 : std::stod(m[1]);
}

// One epoch of QAT from scratch on 256 synthetic images.
std::filesystem::path train_qat(const testing::TempDir& dir, const nlohmann::json& quantization) {
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 256, .test = 128});
  const nlohmann::json config = {{"name", "qat"},
                                 {"data", {{"root", (dir / "data").string()}}},
                                 {"model", {{"channels", {4, 8}}, {"hidden", 16}}},
                                 {"train", {{"epochs", 1}, {"batch_size", 32}}},
                                 {"quantization", quantization},
                                 {"output", {{"dir", (dir / "qat").string()}}}};
  std::ofstream(dir / "qat.json") << config.dump();
  const auto r = run_bitlab("train " + (dir / "qat.json").string());
  EXPECT_EQ(r.status, 0) << r.output;
  return dir / "qat/checkpoint.pt";
}

TEST(ConvertCli, ConvertsAQatCheckpointAndVerifiesIt) {
  testing::TempDir dir;
  const auto checkpoint = train_qat(
      dir, {{"policy", "w8a8"}, {"algorithm", "ste"}, {"init", "float"}, {"batchnorm", "train"}});
  const auto out = dir / "net/qat.tq.json";
  const auto r = run_bitlab("convert " + checkpoint.string() + " --out " + out.string() + " --verify");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("verified on 128 test images"));
  const double torch_acc = share(r.output, "accuracy, LibTorch");
  const double int_acc = share(r.output, "accuracy, integer reference");
  EXPECT_EQ(share(r.output, "bit for bit"), 100.0);
  EXPECT_GE(share(r.output, "argmax == LibTorch"), 95.0);
  EXPECT_NEAR(int_acc, torch_acc, 5.0);
  EXPECT_EQ(share(r.output, "accuracy, float64 simulation"), int_acc);
  EXPECT_GT(int_acc, 20.0) << "one epoch on the synthetic classes learns above chance (10%)";

  const ir::Graph graph = ir::load_graph(out);
  EXPECT_NO_THROW(ir::validate_integer_graph(graph));
  EXPECT_TRUE(std::filesystem::exists(ir::weights_path_for(out)));
  EXPECT_EQ(graph.tensor(graph.inputs.at(0)).shape, (ir::Shape{1, 1, 28, 28}));

  const auto limited = run_bitlab("convert " + checkpoint.string() + " --out " + (dir / "b.tq.json").string() +
                                  " --verify --test-limit 10");
  ASSERT_EQ(limited.status, 0) << limited.output;
  EXPECT_THAT(limited.output, HasSubstr("verified on 10 test images"));
}

// Non-uniform weights convert (docs/conversion.md, "Non-uniform weights"), but
// 6-bit log2 levels need 32-bit integer codes: a config error naming the layer.
TEST(ConvertCli, WideLog2WeightsAndFloatCheckpointsAreConfigErrors) {
  testing::TempDir dir;
  const auto checkpoint = train_qat(
      dir, {{"policy", {{"default", "w4a8"}, {"weights", {{"algorithm", "log2"}, {"bits", 6}}}}}, {"init", "float"}});
  const auto r = run_bitlab("convert " + checkpoint.string() + " --out " + (dir / "n.tq.json").string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"log2\""));
  EXPECT_THAT(r.output, HasSubstr("features.conv0_0"));
  EXPECT_FALSE(std::filesystem::exists(dir / "n.tq.json"));

  const auto missing =
      run_bitlab("convert " + (dir / "none.pt").string() + " --out " + (dir / "m.tq.json").string());
  EXPECT_NE(missing.status, 0);
  EXPECT_THAT(missing.output, HasSubstr("none.pt"));
}

}  // namespace
}  // namespace bitlab
