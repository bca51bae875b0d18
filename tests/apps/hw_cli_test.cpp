// `bitlab hw explore`, `bitlab hw profile` and `bitlab cost` as a user runs
// them, on a small integer Fashion-MNIST classifier written by the test.
#include <fstream>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ir/graph.h"
#include "ir/requant_params.h"
#include "ir/serialize.h"
#include "support/cli_runner.h"
#include "support/synthetic_dataset.h"

namespace bitlab {
namespace {

using ::testing::HasSubstr;
using testing::run_bitlab;

// images int8 [1, 1, 28, 28] → flatten → fc (784 → 10, int8 weights) → int32 → requant → int8 logits.
std::filesystem::path write_net(const testing::TempDir& dir) {
  std::mt19937 rng(3);
  std::vector<std::int64_t> w;
  for (int i = 0; i < 10 * 784; ++i) w.push_back(static_cast<std::int64_t>(rng() % 15) - 7);
  const auto i8 = ir::ElementType::integer(8, true);
  ir::Graph g;
  g.name = "tiny";
  g.add_tensor(ir::int_tensor("images", {1, 1, 28, 28}, i8, ir::Quantization::per_tensor(0.03)));
  g.add_tensor(ir::int_tensor("flat", {1, 784}, i8, ir::Quantization::per_tensor(0.03)));
  g.add_tensor(ir::int_constant("fc.weight", {10, 784}, i8, ir::Quantization::per_tensor(0.01), w));
  g.add_tensor(ir::int_tensor("fc", {1, 10}, ir::ElementType::integer(32, true), ir::Quantization::per_tensor(0.0003)));
  g.add_tensor(ir::int_tensor("logits", {1, 10}, i8, ir::Quantization::per_tensor(0.05)));
  g.inputs = {"images"};
  g.add_node(ir::Node{"flatten", ir::OpKind::Flatten, {"images"}, {"flat"}, ir::FlattenAttrs{1}});
  g.add_node(ir::Node{"fc", ir::OpKind::Linear, {"flat", "fc.weight"}, {"fc"}, ir::LinearAttrs{}});
  g.add_node(ir::Node{"fc.output_quant", ir::OpKind::Requant, {"fc"}, {"logits"},
                      ir::make_requant(std::vector<double>{0.0003 / 0.05}, {-128, 127}, 1)});
  g.outputs = {"logits"};
  const auto path = dir / "tiny.tq.json";
  ir::save_graph(g, path);
  return path;
}

TEST(HwCli, ExploreSweepsWidthsOnTheTestSet) {
  testing::TempDir dir;
  testing::write_synthetic_fashion_mnist(dir / "data", {.train = 16, .test = 64});
  const auto net = write_net(dir);
  const auto r = run_bitlab("hw explore " + net.string() + " --data " + (dir / "data").string() +
                            " --limit 32 --tolerance 1 --no-progress --json " + (dir / "sweep.json").string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("32 samples"));
  EXPECT_THAT(r.output, HasSubstr("recommended together"));
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "sweep.json"));
  EXPECT_EQ(j["samples"], 32);
  EXPECT_EQ(j["tolerance_pp"], 1.0);
  EXPECT_FALSE(j["points"].empty());
}

TEST(HwCli, ExploreWithoutTestDataIsADataError) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "empty");
  const auto r = run_bitlab("hw explore " + write_net(dir).string() + " --data " + (dir / "empty").string() + " --no-progress");
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("t10k"));
}

TEST(HwCli, ProfileWritesALatencyTableThatCostReads) {
  testing::TempDir dir;
  const auto net = write_net(dir);
  const auto table = dir / "latency.json";
  auto r = run_bitlab("hw profile " + net.string() + " --out " + table.string() +
                      " --weight-bits 4 8 --activation-bits 8 --repeats 1 --no-progress");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json t = nlohmann::json::parse(std::ifstream(table));
  EXPECT_EQ(t["format"], "bitlab-latency-table");
  EXPECT_EQ(t["entries"].size(), 2u);  // fc at w4a8 and w8a8

  std::ofstream(dir / "hw.json") << R"({"latency_table": "latency.json"})";
  r = run_bitlab("cost " + net.string() + " --policy w8a8 --hw " + (dir / "hw.json").string() + " --json " +
                 (dir / "cost.json").string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("totals: 7840 MACs"));
  EXPECT_THAT(r.output, HasSubstr("measured on the host"));
  const nlohmann::json c = nlohmann::json::parse(std::ifstream(dir / "cost.json"));
  EXPECT_EQ(c["totals"]["macs"], 7840);
  EXPECT_GT(c["totals"]["measured_seconds"].get<double>(), 0.0);

  // w2 was not profiled: a clear error, not a guess.
  r = run_bitlab("cost " + net.string() + " --policy w2a8 --hw " + (dir / "hw.json").string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no measured latency for layer \"fc\" at w2a8"));
}

TEST(CostCli, CostsAZooNetworkUnderAPolicy) {
  const auto r = run_bitlab("cost ds-cnn --policy w4a4");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("features.dw1"));  // a depthwise layer, named as in the policy
  EXPECT_THAT(r.output, HasSubstr("SIMD cluster"));
  // The 10×4 first kernel exceeds the accelerator's 7×7 weight memory: it runs
  // as two 5×4 sub-kernels (docs/cost-models.md §6), so DS-CNN is modelled.
  EXPECT_THAT(r.output, HasSubstr("accelerator: latency"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("not modelled: accelerator")));
  const auto bad = run_bitlab("cost no-such-net");
  EXPECT_EQ(bad.status, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("resnet8"));
}

}  // namespace
}  // namespace bitlab
