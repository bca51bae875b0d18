#include <gtest/gtest.h>

#include "common/error.h"
#include "search/core/free_bits.h"
#include "search_core/search_test_util.h"

namespace bitlab::search {
namespace {

// Three layers, weights {2, 4, 8}, activations {4, 8}.
SearchSpace space3() {
  SearchSpace space;
  for (const char* name : {"a", "b", "c"})
    space.layers.push_back({name, {2, 4, 8}, std::string(name) + ".relu", {4, 8}});
  space.finalize();
  return space;
}

LatencyTable toy_table() {
  return parse_latency_table(nlohmann::json::parse(R"({"layers": {
    "a": [{"weights": 2, "activations": 4, "latency": 10}, {"weights": 4, "activations": 4, "latency": 6},
          {"weights": 8, "activations": 4, "latency": 7},  {"weights": 2, "activations": 8, "latency": 12},
          {"weights": 4, "activations": 8, "latency": 8},  {"weights": 8, "activations": 8, "latency": 9}],
    "b": [{"weights": 2, "activations": 4, "latency": 1}, {"weights": 4, "activations": 4, "latency": 2},
          {"weights": 8, "activations": 4, "latency": 3}, {"weights": 2, "activations": 8, "latency": 2},
          {"weights": 4, "activations": 8, "latency": 3}, {"weights": 8, "activations": 8, "latency": 4}],
    "c": [{"weights": 2, "activations": 4, "latency": 5}, {"weights": 4, "activations": 4, "latency": 6},
          {"weights": 8, "activations": 4, "latency": 4}, {"weights": 2, "activations": 8, "latency": 6},
          {"weights": 4, "activations": 8, "latency": 6}, {"weights": 8, "activations": 8, "latency": 3}]
  }})"), "table.json");
}

// Genes order: a.w, a.a, b.w, b.a, c.w, c.a.
TEST(FreeBits, ReachesTheFixedPointAndNeverIncreasesLatency) {
  const SearchSpace space = space3();
  const LatencyTable table = toy_table();
  const Genes start(6, 0);  // everything w2a4: 10 + 1 + 5
  std::vector<double> totals{table_latency(space, table, start)};
  const auto result = free_bits(space, table, start, [&](const Genes& current, const Genes& proposed) {
    EXPECT_LT(table_latency(space, table, proposed), table_latency(space, table, current));
    totals.push_back(table_latency(space, table, proposed));
    return true;
  });
  // a → w4a4 (6, the fastest wider option), b stays (monotone), c → w8a8 (3).
  EXPECT_EQ(result.genes, (Genes{1, 0, 0, 0, 2, 1}));
  EXPECT_EQ(result.moves, 2);
  EXPECT_DOUBLE_EQ(table_latency(space, table, result.genes), 6 + 1 + 3);
  for (std::size_t i = 1; i < totals.size(); ++i) EXPECT_LT(totals[i], totals[i - 1]);
  // A fixed point: running again moves nothing.
  const auto again = free_bits(space, table, result.genes);
  EXPECT_EQ(again.moves, 0);
  EXPECT_EQ(again.genes, result.genes);
}

TEST(FreeBits, SkipsRaisesThatLoseAccuracy) {
  const SearchSpace space = space3();
  const LatencyTable table = toy_table();
  // Pretend c at 8-bit activations loses accuracy: c takes the next fastest raise, w8a4 (4).
  const auto result = free_bits(space, table, Genes(6, 0), [&](const Genes&, const Genes& proposed) {
    return !(proposed[4] == 2 && proposed[5] == 1);
  });
  EXPECT_EQ(result.genes, (Genes{1, 0, 0, 0, 2, 0}));
}

TEST(FreeBits, StrategyEvaluatesRaisesAndKeepsAccuracy) {
  const SearchSpace space = space3();
  // Accuracy grows with every width, so every latency-lowering raise is accepted.
  testing::FunctionEvaluator eval([](const SearchSpace& s, const Genes& g, int) {
    double bits = 0.0;
    for (std::size_t d = 0; d < g.size(); ++d) bits += s.knobs[d].bits[static_cast<std::size_t>(g[d])];
    return Evaluation{bits / 100.0, {}, 0.0};
  });
  TrialLog log;
  SearchContext ctx(space, {}, eval, nullptr, log, testing::quiet(100));
  FreeBitsOptions o;
  o.table = toy_table();  // std::optional
  FreeBits strategy(o);
  strategy.run(ctx);
  ASSERT_TRUE(strategy.result());
  EXPECT_EQ(strategy.result()->genes, (Genes{1, 0, 0, 0, 2, 1}));
  EXPECT_GE(log.find(canonical_key(space, strategy.result()->genes), 1)->evaluation.accuracy,
            log.find(canonical_key(space, Genes(6, 0)), 1)->evaluation.accuracy);
}

TEST(FreeBits, FollowsACoupledTotalLatency) {
  // Latency as a function of the whole candidate: layer b is slow unless both its
  // own weights and a's activations are 8 bits (as when b reads a's output).
  const SearchSpace space = space3();
  const LatencyFunction latency = [&](const Genes& g) -> std::optional<double> {
    const auto [aw, aa] = space.layer_bits(g, 0);
    const auto [bw, ba] = space.layer_bits(g, 1);
    return 10.0 + aw * 0.1 + ((bw == 8 && aa == 8) ? 0.0 : 5.0) + ba * 0.01;
  };
  const auto result = free_bits(space, latency, Genes(6, 0));
  // No single layer's raise lowers the total from the start (b needs a's help, and
  // raising a's activations alone gains nothing): the start is already a fixed point.
  EXPECT_EQ(result.moves, 0);
  // From a at 8-bit activations, raising b's weights to 8 drops 5.
  Genes start(6, 0);
  start[1] = 1;
  const auto moved = free_bits(space, latency, start);
  EXPECT_EQ(moved.genes[2], 2);
  EXPECT_LT(*latency(moved.genes), *latency(start));
}

TEST(LatencyTable, RejectsDuplicatesAndBadEntries) {
  EXPECT_THROW(parse_latency_table(nlohmann::json::parse(R"({"layers": {"a": [
      {"weights": 2, "activations": 4, "latency": 1}, {"weights": 2, "activations": 4, "latency": 2}]}})"), "t.json"),
               ConfigError);
  EXPECT_THROW(parse_latency_table(nlohmann::json::parse(R"({"layers": {"a": [{"weights": 2, "latency": 1}]}})"), "t.json"),
               ConfigError);
  EXPECT_THROW(parse_latency_table(nlohmann::json::parse(R"({"layer": {}})"), "t.json"), ConfigError);
}

}  // namespace
}  // namespace bitlab::search
