// Differential tests: the fast executor (every ISA path this CPU has, fused and
// unfused, with and without the binary kernels) against the reference runtime,
// on seeded random conv / linear problems and on whole sample networks; plus
// the arena (no heap allocation per run) and batching.
#include "runtime/executor.h"

#include <atomic>
#include <cstdlib>
#include <new>

#include <gtest/gtest.h>

#include "fast_test_support.h"
#include "ir/passes/convert.h"
#include "networks.h"
#include "runtime/reference.h"
#include "sample_graphs.h"

// Counts heap allocations of the whole test binary; tests read the difference around run().
// GCC sees std::free after inlining an operator new it cannot tell is this malloc-based one.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<long> g_allocations{0};
}
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace bitlab::runtime {
namespace {

using testing::Rng;

// Every configuration of the executor this machine can run.
std::vector<ExecutorOptions> all_configurations() {
  std::vector<ExecutorOptions> out;
  for (const fast::Isa isa : testing::supported_isas())
    for (const bool fuse : {true, false})
      for (const bool binary : {true, false}) out.push_back({.isa = isa, .fuse_requant = fuse, .binary_kernels = binary});
  out.push_back({.isa = fast::Isa::Portable, .fast_kernels = false});
  return out;
}

std::string describe(const ExecutorOptions& o) {
  return fmt::format("isa {} fast {} fuse {} binary {}", fast::to_string(o.isa), o.fast_kernels, o.fuse_requant, o.binary_kernels);
}

void expect_same_as_reference(const ir::Graph& g, const IntTensorMap& inputs, const std::string& what) {
  const IntTensorMap expected = run_reference(g, inputs);
  for (const ExecutorOptions& options : all_configurations()) {
    Executor e(g, options);
    const IntTensorMap got = e.run(inputs);
    for (const auto& [name, t] : expected) {
      ASSERT_EQ(got.at(name).shape, t.shape) << what << " / " << describe(options);
      ASSERT_EQ(got.at(name).values, t.values) << what << " / " << describe(options) << " / " << e.kernel_summary();
    }
  }
}

TEST(Executor, ListsTheIsaPathsItTests) {
  // Not a check: records in the test log which paths this machine exercised.
  std::string paths;
  for (const fast::Isa isa : testing::supported_isas()) paths += std::string(fast::to_string(isa)) + " ";
  std::cout << "ISA paths tested here: " << paths << "\n";
  EXPECT_TRUE(fast::isa_supported(fast::Isa::Portable));
  EXPECT_THROW(Executor(ir::testing::integer_net(), {.isa = static_cast<fast::Isa>(7)}), std::invalid_argument);
}

TEST(Executor, RandomConvAndLinearMatchTheReference) {
  Rng rng(20261124);
  int binary_cases = 0, int8_cases = 0;
  for (int trial = 0; trial < 150; ++trial) {
    const testing::ConvCase c = testing::random_case(rng);
    const ir::Graph g = testing::conv_graph(c, rng);
    const IntTensorMap inputs = testing::random_inputs(g, rng);
    const std::string kernels = Executor(g).kernel_summary();
    binary_cases += kernels.find("binary 1") != std::string::npos;
    int8_cases += kernels.find("int8 1") != std::string::npos;
    expect_same_as_reference(g, inputs, fmt::format("trial {}: {}", trial, c.describe()));
    if (::testing::Test::HasFatalFailure()) return;
  }
  // The draws must reach both fast kernels, not only the generic fallback.
  EXPECT_GT(binary_cases, 3);
  EXPECT_GT(int8_cases, 100);
}

TEST(Executor, WideLayersCrossEveryBlockBoundary) {
  // Pixel counts around the 64-pixel panel, output channels around the 6-row block, K tails.
  Rng rng(7);
  for (const std::int64_t hw : {7, 8, 9, 15}) {
    for (const std::int64_t o : {5, 6, 7, 13}) {
      testing::ConvCase c;
      c.C = 37;
      c.H = hw;
      c.W = hw + 1;
      c.O = o;
      c.KH = c.KW = 3;
      c.pad = 1;
      c.act_signed = o % 2 == 1;
      const ir::Graph g = testing::conv_graph(c, rng);
      expect_same_as_reference(g, testing::random_inputs(g, rng), c.describe());
    }
  }
}

TEST(Executor, BinaryLayersUseThePopcountKernel) {
  Rng rng(11);
  testing::ConvCase c;
  c.C = 70;  // K = 630: several bytes of taps with a tail
  c.H = c.W = 9;
  c.O = 9;
  c.KH = c.KW = 3;
  c.pad = 1;
  c.act_bits = 1;
  c.binary_weights = true;
  for (const bool act_signed : {false, true}) {
    c.act_signed = act_signed;
    const ir::Graph g = testing::conv_graph(c, rng);
    Executor e(g);
    EXPECT_NE(e.kernel_summary().find("binary 1"), std::string::npos) << e.kernel_summary();
    expect_same_as_reference(g, testing::random_inputs(g, rng), c.describe());
  }
}

TEST(Executor, SampleNetworksMatchTheReference) {
  Rng rng(3);
  const ir::Graph tiny = ir::testing::integer_net();
  expect_same_as_reference(tiny, testing::random_inputs(tiny, rng), "integer_net");
  using namespace ir::passes::testing;
  for (const std::uint64_t seed : {1u, 2u}) {
    const std::vector<std::pair<std::string, ir::Graph>> nets = {
        {"classifier", ir::passes::convert(classifier_net(seed))},
        {"classifier a4w4", ir::passes::convert(classifier_net(seed, 4, 4))},
        {"classifier a2w2", ir::passes::convert(classifier_net(seed, 2, 2))},
        {"residual", ir::passes::convert(residual_net(seed))},
        {"depthwise", ir::passes::convert(depthwise_net(seed))},
        {"concat", ir::passes::convert(concat_net(seed))},
    };
    for (const auto& [name, g] : nets) expect_same_as_reference(g, testing::random_inputs(g, rng), name);
  }
}

TEST(Executor, RunAllocatesNothing) {
  Rng rng(5);
  const ir::Graph g = ir::passes::convert(ir::passes::testing::residual_net(4));
  for (const fast::Isa isa : testing::supported_isas()) {
    Executor e(g, {.isa = isa});
    const IntTensorMap inputs = testing::random_inputs(g, rng);
    e.set_input(0, inputs.at(g.inputs[0]).values);
    std::vector<std::int64_t> out(static_cast<std::size_t>(ir::num_elements(g.tensor(g.outputs[0]).shape)));
    e.run();  // warm
    const long before = g_allocations.load();
    e.set_input(0, inputs.at(g.inputs[0]).values);
    e.run();
    e.run();
    e.get_output(0, out);
    EXPECT_EQ(g_allocations.load() - before, 0) << fast::to_string(isa);
    EXPECT_EQ(out, run_reference(g, inputs).at(g.outputs[0]).values);
  }
}

TEST(Executor, BatchedRunEqualsPerSampleReference) {
  Rng rng(9);
  const ir::Graph g = ir::testing::integer_net();  // batch 1
  for (const std::int64_t batch : {1, 3, 5}) {
    Executor e(g, {.batch = batch});
    const IntTensorMap inputs = testing::random_inputs(e.graph(), rng);
    const IntTensorMap got = e.run(inputs);
    const IntTensor& x = inputs.at("x");
    const std::int64_t per = ir::num_elements(g.tensor("x").shape);
    std::vector<std::int64_t> expected;
    for (std::int64_t n = 0; n < batch; ++n) {
      IntTensor one{g.tensor("x").shape, {x.values.begin() + n * per, x.values.begin() + (n + 1) * per}};
      const auto y = run_reference(g, {{"x", one}}).at("y").values;
      expected.insert(expected.end(), y.begin(), y.end());
    }
    EXPECT_EQ(got.at("y").values, expected) << "batch " << batch;
    EXPECT_EQ(got.at("y").shape[0], batch);
  }
}

TEST(Executor, ArenaIsSmallerThanOneBufferPerTensor) {
  const ir::Graph g = ir::passes::convert(ir::passes::testing::depthwise_net(1));
  const Executor e(g);
  const ExecutorMemory& m = e.memory();
  EXPECT_GT(m.arena_bytes, 0);
  EXPECT_GE(m.arena_bytes, m.peak_live_bytes);
  EXPECT_LT(m.arena_bytes, m.unshared_bytes);
  EXPECT_GT(m.packed_weight_bytes, 0);
}

TEST(Executor, RejectsInputsOutsideTheirType) {
  const ir::Graph g = ir::testing::integer_net();
  Executor e(g);
  std::vector<std::int64_t> x(static_cast<std::size_t>(ir::num_elements(g.tensor("x").shape)), 0);
  x[3] = 256;  // uint8
  EXPECT_THROW(e.set_input(0, x), std::invalid_argument);
  x.pop_back();
  EXPECT_THROW(e.set_input(0, x), std::invalid_argument);
}

}  // namespace
}  // namespace bitlab::runtime
