// Measured latency tables: JSON round trip, lookups, missing entries, and the
// profiler's coverage (with a do-nothing executor: no wall-clock assertions).
#include "hw/latency_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "hw/latency_profiler.h"
#include "runtime/reference.h"
#include "test_graphs.h"

namespace bitlab::hw {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

MeasuredLatencyTable sample_table() {
  MeasuredLatencyTable t;
  t.network = "small";
  t.executor = "fast";
  t.repeats = 3;
  t.add({"conv1", 8, 8, 2e-6});
  t.add({"conv1", 4, 8, 1.5e-6});
  t.add({"pool1", 0, 8, 1e-7});
  return t;
}

TEST(MeasuredLatencyTable, LooksUpAndReplaces) {
  MeasuredLatencyTable t = sample_table();
  EXPECT_DOUBLE_EQ(t.seconds("conv1", 4, 8), 1.5e-6);
  EXPECT_TRUE(t.contains("pool1", 0, 8));
  EXPECT_FALSE(t.contains("pool1", 0, 4));
  t.add({"conv1", 4, 8, 3e-6});
  EXPECT_EQ(t.entries().size(), 3u);
  EXPECT_DOUBLE_EQ(t.seconds("conv1", 4, 8), 3e-6);
}

TEST(MeasuredLatencyTable, MissingEntryIsAClearError) {
  const MeasuredLatencyTable t = sample_table();
  EXPECT_THAT([&] { (void)t.seconds("conv1", 2, 8); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("\"conv1\" at w2a8"), HasSubstr("w8a8, w4a8"),
                                               HasSubstr("bitlab hw profile"))));
  EXPECT_THAT([&] { (void)t.seconds("fc9", 8, 8); }, ThrowsMessage<ConfigError>(HasSubstr("holds: none")));
}

TEST(MeasuredLatencyTable, SavesAndLoadsJson) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / "bitlab_latency_table_test.json";
  save_latency_table(sample_table(), path);
  const MeasuredLatencyTable loaded = load_latency_table(path);
  EXPECT_EQ(loaded.network, "small");
  EXPECT_EQ(loaded.repeats, 3);
  ASSERT_EQ(loaded.entries().size(), 3u);
  EXPECT_DOUBLE_EQ(loaded.seconds("conv1", 8, 8), 2e-6);
  EXPECT_EQ(to_json(loaded), to_json(sample_table()));
  std::filesystem::remove(path);
}

TEST(MeasuredLatencyTable, MalformedJsonNamesTheField) {
  nlohmann::json j = to_json(sample_table());
  j["entries"][1]["seconds"] = -1.0;
  EXPECT_THAT([&] { (void)latency_table_from_json(j, "t.json"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("t.json"), HasSubstr("/entries/1"))));
  j = to_json(sample_table());
  j["format"] = "something";
  EXPECT_THROW((void)latency_table_from_json(j, "t.json"), ConfigError);
}

TEST(MeasuredLatencyTable, NetworkSecondsSumsTheViewsLayers) {
  const LayerView view = extract_layers(testing::small_net(), PrecisionAssignment::uniform(8, 8));
  MeasuredLatencyTable t;
  for (const Layer& l : view.layers) t.add({l.name, l.weight_bits, l.input_bits, 1.0});
  // conv1, pool1, conv2, avg, fc: the add is not profiled.
  EXPECT_DOUBLE_EQ(t.network_seconds(view), 5.0);
  EXPECT_THROW((void)t.network_seconds(extract_layers(testing::small_net(), PrecisionAssignment::uniform(4, 8))), ConfigError);
}

TEST(LatencyProfiler, SingleLayerGraphsRunOnTheReference) {
  const ir::Graph net = testing::small_net();
  for (const std::string name : {"conv1", "conv2", "pool1", "avg", "fc"}) {
    for (const auto& [w, a] : {std::pair{8, 8}, {2, 4}, {4, 2}, {1, 1}}) {
      const ir::Graph g = single_layer_graph(net, name, w, a, 2);
      const runtime::IntTensorMap out = runtime::run_reference(g, single_layer_inputs(g));
      EXPECT_EQ(out.at("y").shape.at(0), 2) << name;
    }
  }
  EXPECT_THROW((void)single_layer_graph(net, "add", 8, 8, 1), std::invalid_argument);
  EXPECT_THROW((void)single_layer_graph(net, "nope", 8, 8, 1), std::invalid_argument);
}

TEST(LatencyProfiler, ProfilesEveryLayerAtEveryPairWithTheGivenExecutor) {
  int prepared = 0;
  LatencyProfileOptions options;
  options.weight_bits = {2, 8};
  options.activation_bits = {4, 8};
  options.repeats = 1;
  options.min_repeat_seconds = 0.0;
  options.executor_name = "noop";
  options.executor = [&](const ir::Graph&, const runtime::IntTensorMap&) -> std::function<void()> {
    ++prepared;
    return [] {};
  };
  const MeasuredLatencyTable t = profile_latency(testing::small_net(), options);
  // conv1, conv2, fc: 2 × 2 pairs; pool1, avg: one per activation width.
  EXPECT_EQ(t.entries().size(), 3u * 4u + 2u * 2u);
  EXPECT_EQ(prepared, 16);
  EXPECT_EQ(t.executor, "noop");
  EXPECT_TRUE(t.contains("fc", 2, 4));
  EXPECT_TRUE(t.contains("avg", 0, 8));
  for (const MeasuredLatency& e : t.entries()) EXPECT_GE(e.seconds, 0.0);
}

}  // namespace
}  // namespace bitlab::hw
