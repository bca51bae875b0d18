// Differential tests: the fast executor (every ISA path this CPU has, fused and
// unfused, with and without the binary kernels) against the reference runtime,
// on seeded random conv / linear problems and on whole sample networks; plus
// the arena (no heap allocation per run) and batching.
#include "runtime/executor.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <optional>

#include <gtest/gtest.h>

#include "fast_test_support.h"
#include "ir/requant_params.h"
#include "op_graph.h"
#include "ir/passes/convert.h"
#include "networks.h"
#include "runtime/reference.h"
#include "runtime/conv_split.h"
#include "runtime/thread_pool.h"
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
  // The packed GEMM on the layers the direct kernels (depthwise, GEMV) would take.
  for (const fast::Isa isa : testing::supported_isas()) out.push_back({.isa = isa, .direct_kernels = false});
  out.push_back({.isa = fast::Isa::Portable, .fast_kernels = false});
  return out;
}

std::string describe(const ExecutorOptions& o) {
  return fmt::format("isa {} fast {} fuse {} binary {} direct {}", fast::to_string(o.isa), o.fast_kernels, o.fuse_requant,
                     o.binary_kernels, o.direct_kernels);
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

TEST(Executor, PackedTailsOfRowsPixelsAndTapsMatchTheReference) {
  // The AVX-512 kernels compute only the rows (1–6, binary: + the all-ones row) and 16-pixel
  // vectors (1–4) that exist, and binary taps in 32-tap quads flushed every 31 quads: 1×1 and
  // 3×3 layers with odd channel counts, K not a multiple of 4 / 32, K past 31 quads (992 taps),
  // pixel counts that leave 1, 2 or 3 vectors in the last panel.
  Rng rng(5);
  struct Shape {
    std::int64_t C, H, W, O, k;
  };
  for (const Shape s : {Shape{67, 5, 7, 7, 1}, Shape{33, 6, 9, 11, 1}, Shape{9, 8, 8, 2, 3}, Shape{111, 6, 5, 4, 3},
                        Shape{120, 4, 5, 3, 3}, Shape{13, 9, 9, 17, 3}}) {
    for (const bool binary : {false, true}) {
      testing::ConvCase c;
      c.C = s.C;
      c.H = s.H;
      c.W = s.W;
      c.O = s.O;
      c.KH = c.KW = s.k;
      c.pad = s.k / 2;
      c.act_signed = s.O % 2 == 0;
      if (binary) {
        c.act_bits = 1;
        c.binary_weights = true;
      }
      const ir::Graph g = testing::conv_graph(c, rng);
      EXPECT_NE(Executor(g).kernel_summary().find(binary ? "binary 1" : "int8 1"), std::string::npos) << c.describe();
      expect_same_as_reference(g, testing::random_inputs(g, rng), c.describe());
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(Executor, StridedConvsOnPhasePlanesMatchTheReference) {
  // Strides > 1 read each tap from one row/column phase of the padded plane: equal and unequal
  // strides 2–3, padding past the stride, dilation, rows wide enough for several 32-byte
  // stride-2 gathers and their tails, int8 and binary kinds.
  Rng rng(508);
  struct Stride {
    std::int64_t h, w;
  };
  int trial = 0;
  for (const Stride s : {Stride{2, 2}, Stride{3, 3}, Stride{2, 3}, Stride{3, 1}, Stride{1, 2}}) {
    for (int rep = 0; rep < 4; ++rep, ++trial) {
      testing::ConvCase c = testing::random_case(rng);
      c.linear = false;
      c.groups = trial % 5 == 4 ? 2 : 1;
      c.C = c.groups * testing::draw(rng, 1, 9);
      c.O = c.groups * testing::draw(rng, 1, 8);
      c.stride = s.h;
      c.stride_w = s.w;
      c.KH = testing::draw(rng, 1, 4);
      c.KW = testing::draw(rng, 1, 4);
      c.pad = testing::draw(rng, 0, 3);
      c.dil = rep == 3 ? 2 : 1;
      c.H = testing::draw(rng, c.dil * (c.KH - 1) + 1, 13);
      c.W = testing::draw(rng, c.dil * (c.KW - 1) + 1, rep % 2 == 0 ? 150 : 11);
      c.binary_weights = rep == 1;
      if (c.binary_weights) c.act_bits = 1;
      const ir::Graph g = testing::conv_graph(c, rng);
      EXPECT_NE(Executor(g).kernel_summary().find(c.binary_weights ? "binary 1" : "int8 1"), std::string::npos)
          << c.describe() << ": " << Executor(g).kernel_summary();
      expect_same_as_reference(g, testing::random_inputs(g, rng), fmt::format("trial {}: {}", trial, c.describe()));
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(Executor, BinaryBitPlaneWithGroupsAndDilationMatchesTheReference) {
  // Stride-1 binary convs on AVX-512 read quad steps from a per-run bit plane of 32 channels per
  // pixel dword: channel counts per group not a multiple of 32 (but within a fifth of it, else
  // the layer packs panels instead), dilation, padding or none.
  Rng rng(9);
  for (const std::int64_t groups : {1, 2, 3}) {
    for (const std::int64_t dil : {1, 2}) {
      testing::ConvCase c;
      c.groups = groups;
      c.C = groups * (groups == 2 ? 27 : 30);
      c.O = groups * 5;
      c.H = 9;
      c.W = 11;
      c.KH = c.KW = 3;
      c.dil = dil;
      c.pad = dil == 1 ? 0 : 2;
      c.act_bits = 1;
      c.act_signed = groups == 2;
      c.binary_weights = true;
      const ir::Graph g = testing::conv_graph(c, rng);
      EXPECT_NE(Executor(g).kernel_summary().find("binary 1"), std::string::npos) << c.describe();
      expect_same_as_reference(g, testing::random_inputs(g, rng), c.describe());
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(Executor, BinaryByteCountersDoNotOverflowOnAllOnes) {
  // All activation bits and all weights +1 over K = 1080 taps (34 quads): every byte counter
  // reaches its maximum, 8 per quad, before each flush. The int32 accumulator is an output too,
  // so a wrapped counter cannot hide behind the requant clamp.
  Rng rng(3);
  testing::ConvCase c;
  c.C = 120;
  c.H = c.W = 4;
  c.O = 7;
  c.KH = c.KW = 3;
  c.act_bits = 1;
  c.binary_weights = true;
  ir::Graph g = testing::conv_graph(c, rng);
  for (auto& w : *g.tensor("w").int_data) w = 1;
  g.outputs.push_back(g.nodes.front().outputs.front());
  IntTensorMap inputs = testing::random_inputs(g, rng);
  for (auto& [name, t] : inputs) std::fill(t.values.begin(), t.values.end(), 1);
  EXPECT_NE(Executor(g).kernel_summary().find("binary 1"), std::string::npos) << Executor(g).kernel_summary();
  expect_same_as_reference(g, inputs, c.describe());
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

TEST(Executor, DepthwiseLayersOnTheDirectKernelMatchTheReference) {
  // Odd channel counts, planes narrower / wider than a 32-pixel block and than the input (pad 2),
  // strides 1 and 2, dilation, 8/4/2-bit activations and weights with zero points.
  Rng rng(505);
  int direct = 0;
  for (int trial = 0; trial < 60; ++trial) {
    testing::ConvCase c = testing::random_depthwise_case(rng, trial, trial % 7 == 0, true);
    c.weight_bits = std::array{8, 4, 2}[static_cast<std::size_t>((trial / 3) % 3)];
    const ir::Graph g = testing::conv_graph(c, rng);
    direct += Executor(g).kernel_summary().find("depthwise 1") != std::string::npos;
    expect_same_as_reference(g, testing::random_inputs(g, rng), fmt::format("trial {}: {}", trial, c.describe()));
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(direct, 60);
}

TEST(Executor, SmallBatchLinearOnTheGemvMatchesTheReference) {
  // Input lengths around the 64-byte chunk, output counts around the 4-row block, batch up to
  // the GEMV limit and one past it (packed GEMM).
  Rng rng(506);
  int gemv = 0, cases = 0;
  for (const std::int64_t in : {1, 63, 64, 65, 130, 640}) {
    for (const std::int64_t out : {1, 3, 4, 5, 9}) {
      testing::ConvCase c = testing::random_case(rng);
      c.linear = true;
      c.binary_weights = false;
      c.C = in;
      c.O = out;
      c.N = std::array{1, 2, 4, 5}[static_cast<std::size_t>(cases % 4)];
      c.act_bits = std::array{8, 4, 2}[static_cast<std::size_t>(cases % 3)];
      c.weight_bits = std::array{8, 4, 2}[static_cast<std::size_t>((cases / 3) % 3)];
      ++cases;
      const ir::Graph g = testing::conv_graph(c, rng);
      const bool uses = Executor(g).kernel_summary().find("gemv 1") != std::string::npos;
      EXPECT_EQ(uses, c.N <= 4) << c.describe();
      gemv += uses;
      expect_same_as_reference(g, testing::random_inputs(g, rng), c.describe());
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  EXPECT_GT(gemv, 15);
}

TEST(Executor, VectorisedAddPoolRequantClipMatchTheReference) {
  // add → global avgpool → per-channel requant, clip, and a per-tensor requant to 16 bits, on
  // element counts around the 16-lane blocks; 8/4/2-bit codes, signed and unsigned, zero points.
  using testing::OpGraph;
  Rng rng(507);
  for (int trial = 0; trial < 24; ++trial) {
    const int bits = std::array{8, 4, 2}[static_cast<std::size_t>(trial % 3)];
    const bool is_signed = trial % 2 == 1;
    const ir::ElementType xt = testing::code_type(bits, is_signed);
    const ir::ElementType yt = testing::code_type(8, trial % 4 < 2);
    const std::int64_t N = testing::draw(rng, 1, 2), C = testing::draw(rng, 1, 9), H = testing::draw(rng, 1, 7),
                       W = testing::draw(rng, 1, 9);
    auto zp = [&](const ir::ElementType& t) { return static_cast<std::int32_t>(testing::draw(rng, t.min_value(), t.max_value())); };
    const double sa = 0.02 * static_cast<double>(testing::draw(rng, 1, 9)), sb = 0.03 * static_cast<double>(testing::draw(rng, 1, 9));
    const double sy = 0.05;
    OpGraph og;
    const std::int32_t za = zp(xt), zb = zp(xt);
    og.input("a", {N, C, H, W}, xt, testing::pt(sa, za)).input("b", {N, C, H, W}, xt, testing::pt(sb, zb));
    const std::int32_t zy = zp(yt);
    const std::vector<double> scales = {sa, sb};
    og.op("y", ir::OpKind::Add, {"a", "b"}, yt, testing::pt(sy, zy),
          ir::AddAttrs{ir::make_add_requant(scales, sy, {static_cast<std::int32_t>(trial % 5 == 0 ? zy : yt.min_value()),
                                                         static_cast<std::int32_t>(yt.max_value())})});
    og.op("s", ir::OpKind::AvgPool, {"y"}, testing::i32(), testing::pt(sy / static_cast<double>(H * W)),
          ir::PoolAttrs{.kernel = {H, W}, .stride = {1, 1}, .padding = {0, 0}});
    std::vector<double> m;
    for (std::int64_t k = 0; k < C; ++k) m.push_back(1.0 / static_cast<double>(H * W) * (0.5 + 0.25 * static_cast<double>(k % 3)));
    og.op("r", ir::OpKind::Requant, {"s"}, yt, testing::pt(sy, zy),
          ir::make_requant(m, {static_cast<std::int32_t>(yt.min_value()), static_cast<std::int32_t>(yt.max_value())}, 1));
    const std::int32_t lo = static_cast<std::int32_t>(xt.min_value() + (xt.max_value() - xt.min_value()) / 4);
    og.op("ca", ir::OpKind::Clip, {"a"}, xt, testing::pt(sa, za), ir::ClipAttrs{lo, static_cast<std::int32_t>(xt.max_value())});
    const ir::ElementType wide = ir::ElementType::integer(16, true);
    const std::vector<double> m16 = {static_cast<double>(testing::draw(rng, 1, 300))};
    og.op("ra", ir::OpKind::Requant, {"b"}, wide, testing::pt(sb / m16[0], 7), ir::make_requant(m16, {-32768, 32767}));
    ir::Graph g = og.build({"r", "ca", "ra", "y"});
    expect_same_as_reference(g, testing::random_inputs(g, rng), fmt::format("trial {}: N{} C{} H{} W{} a{}{}", trial, N, C, H, W, bits,
                                                                            is_signed ? "s" : "u"));
    if (::testing::Test::HasFatalFailure()) return;
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

// Warms `e` up once, then set_input + `runs` × run + get_output on random codes must allocate
// nothing and give the reference's output.
void expect_runs_allocate_nothing(Executor& e, Rng& rng, int runs) {
  const ir::Graph& g = e.graph();
  const IntTensorMap inputs = testing::random_inputs(g, rng);
  e.set_input(0, inputs.at(g.inputs[0]).values);
  std::vector<std::int64_t> out(static_cast<std::size_t>(ir::num_elements(g.tensor(g.outputs[0]).shape)));
  e.run();  // warm
  const long before = g_allocations.load();
  e.set_input(0, inputs.at(g.inputs[0]).values);
  for (int r = 0; r < runs; ++r) e.run();
  e.get_output(0, out);
  EXPECT_EQ(g_allocations.load() - before, 0) << fast::to_string(e.options().isa) << " / " << e.kernel_summary();
  EXPECT_EQ(out, run_reference(g, inputs).at(g.outputs[0]).values);
}

TEST(Executor, RunAllocatesNothing) {
  Rng rng(5);
  // residual: add and standalone requants; depthwise: the direct depthwise kernel; classifier: the GEMV.
  const std::vector<ir::Graph> graphs = {ir::passes::convert(ir::passes::testing::residual_net(4)),
                                         ir::passes::convert(ir::passes::testing::depthwise_net(4)),
                                         ir::passes::convert(ir::passes::testing::classifier_net(4))};
  bool saw_depthwise = false, saw_gemv = false;
  for (const ir::Graph& graph : graphs) {
    for (const fast::Isa isa : testing::supported_isas()) {
      Executor e(graph, {.isa = isa, .batch = 1});  // batch 1: the GEMV's case
      saw_depthwise |= e.kernel_summary().find("depthwise 0") == std::string::npos;
      saw_gemv |= e.kernel_summary().find("gemv 0") == std::string::npos;
      expect_runs_allocate_nothing(e, rng, 2);
    }
  }
  EXPECT_TRUE(saw_depthwise);
  EXPECT_TRUE(saw_gemv);
}

// ---- threads (ExecutorOptions::threads): every layer cut (parallel_min_macs 0), results as the reference ----

std::vector<ExecutorOptions> threaded_configurations() {
  std::vector<ExecutorOptions> out;
  for (const fast::Isa isa : testing::supported_isas())
    for (const int threads : {2, 3}) {
      out.push_back({.isa = isa, .threads = threads, .parallel_min_macs = 0});
      out.push_back({.isa = isa, .fuse_requant = false, .threads = threads, .parallel_min_macs = 0});
    }
  for (const fast::Isa isa : testing::supported_isas())
    out.push_back({.isa = isa, .binary_kernels = false, .direct_kernels = false, .threads = 2, .parallel_min_macs = 0});
  return out;
}

// Returns how many of the executors cut at least one layer.
int expect_threaded_same_as_reference(const ir::Graph& g, const IntTensorMap& inputs, const std::string& what,
                                      std::int64_t batch = 0) {
  int split = 0;
  std::optional<IntTensorMap> expected;
  for (ExecutorOptions options : threaded_configurations()) {
    options.batch = batch;
    Executor e(g, options);
    if (!expected) expected = run_reference(e.graph(), inputs);
    split += e.parallel_steps() > 0;
    const IntTensorMap got = e.run(inputs);
    for (const auto& [name, t] : *expected) {
      EXPECT_EQ(got.at(name).values, t.values) << what << " / " << describe(options) << " threads " << options.threads << " / "
                                               << e.kernel_summary();
    }
  }
  return split;
}

TEST(ExecutorThreads, PoolRunsEveryIndexOnce) {
  for (const int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (const std::size_t count : {0u, 1u, 2u, 7u, 64u}) {
      std::array<std::atomic<int>, 64> hits{};
      for (int repeat = 0; repeat < 20; ++repeat)
        pool.run([](const void* c, std::size_t i) { (*static_cast<std::array<std::atomic<int>, 64>*>(const_cast<void*>(c)))[i]++; },
                 &hits, count);
      for (std::size_t i = 0; i < hits.size(); ++i) EXPECT_EQ(hits[i].load(), i < count ? 20 : 0) << threads << " " << count;
    }
  }
  EXPECT_THROW(ThreadPool(0), std::invalid_argument);
  EXPECT_THROW(Executor(ir::testing::integer_net(), {.threads = 0}), std::invalid_argument);
}

TEST(ExecutorThreads, RandomConvAndLinearMatchTheReference) {
  // A subset of the random conv suite: batches 1–3 (sample cuts), groups (group cuts), O cuts.
  Rng rng(20261125);
  int split = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const testing::ConvCase c = testing::random_case(rng);
    const ir::Graph g = testing::conv_graph(c, rng);
    split += expect_threaded_same_as_reference(g, testing::random_inputs(g, rng), fmt::format("trial {}: {}", trial, c.describe()));
  }
  EXPECT_GT(split, 40);
}

TEST(ExecutorThreads, DepthwiseAndGemvMatchTheReference) {
  Rng rng(515);
  for (int trial = 0; trial < 16; ++trial) {  // depthwise: channel cuts (N = 1) and sample cuts
    const testing::ConvCase c = testing::random_depthwise_case(rng, trial, trial % 4 == 0, false);
    const ir::Graph g = testing::conv_graph(c, rng);
    EXPECT_NE(Executor(g).kernel_summary().find("depthwise 1"), std::string::npos) << c.describe();
    expect_threaded_same_as_reference(g, testing::random_inputs(g, rng), fmt::format("depthwise {}: {}", trial, c.describe()));
  }
  int cases = 0;
  for (const std::int64_t in : {1, 65, 640}) {  // GEMV: output-row cuts (N = 1) and sample cuts
    for (const std::int64_t out : {1, 5, 9}) {
      testing::ConvCase c = testing::random_case(rng);
      c.linear = true;
      c.binary_weights = false;
      c.C = in;
      c.O = out;
      c.N = std::array{1, 2, 4}[static_cast<std::size_t>(cases % 3)];
      c.act_bits = std::array{8, 4, 2}[static_cast<std::size_t>(cases % 3)];
      ++cases;
      const ir::Graph g = testing::conv_graph(c, rng);
      EXPECT_NE(Executor(g).kernel_summary().find("gemv 1"), std::string::npos) << c.describe();
      expect_threaded_same_as_reference(g, testing::random_inputs(g, rng), c.describe());
    }
  }
}

TEST(ExecutorThreads, BinaryAndGroupedConvsMatchTheReference) {
  // Binary (bit plane and panels) and grouped int8 convs cut by output channels or groups at N = 1.
  Rng rng(516);
  for (const std::int64_t groups : {1, 2, 3}) {
    for (const bool binary : {true, false}) {
      testing::ConvCase c;
      c.groups = groups;
      c.C = groups * (binary ? 30 : 7);
      c.O = groups * 5;
      c.H = 9;
      c.W = 11;
      c.KH = c.KW = 3;
      c.pad = 1;
      c.act_bits = binary ? 1 : 8;
      c.binary_weights = binary;
      const ir::Graph g = testing::conv_graph(c, rng);
      EXPECT_NE(Executor(g).kernel_summary().find(binary ? "binary 1" : "packed 1"), std::string::npos) << c.describe();
      EXPECT_GT(expect_threaded_same_as_reference(g, testing::random_inputs(g, rng), c.describe()), 0) << c.describe();
    }
  }
}

TEST(ExecutorThreads, SlicesCoverTheLayerExactly) {
  fast::ConvProblem p;
  p.C = 6, p.O = 10, p.H = 5, p.W = 4, p.OH = 5, p.OW = 4, p.KH = p.KW = 1;
  p.weights.assign(60, 1);
  p.weight_zero_points.assign(10, 0);
  p.bias.assign(10, 3);
  for (const int parts : {1, 2, 3, 4, 20}) {
    const std::vector<ConvSlice> s = split_conv(p, parts);  // N = 1, groups = 1: output channels
    ASSERT_EQ(s.size(), static_cast<std::size_t>(std::min(parts, 10)));
    std::int64_t o = 0;
    for (const ConvSlice& slice : s) {
      EXPECT_EQ(slice.input_offset, 0);
      EXPECT_EQ(slice.output_offset, o * 20);
      EXPECT_EQ(slice.problem.weights.size(), static_cast<std::size_t>(slice.problem.O * 6));
      EXPECT_EQ(slice.problem.bias.size(), static_cast<std::size_t>(slice.problem.O));
      o += slice.problem.O;
    }
    EXPECT_EQ(o, 10);
  }
  fast::ConvProblem q = p;  // groups: channel and output ranges together
  q.groups = 2;
  q.weights.assign(30, 1);
  const std::vector<ConvSlice> g = split_conv(q, 3);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[1].input_offset, 3 * 20);
  EXPECT_EQ(g[1].output_offset, 5 * 20);
  EXPECT_EQ(g[1].problem.C, 3);
  EXPECT_EQ(g[1].problem.groups, 1);
  fast::ConvProblem r = p;  // samples
  r.N = 3;
  const std::vector<ConvSlice> n = split_conv(r, 2);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].problem.N + n[1].problem.N, 3);
  EXPECT_EQ(n[1].input_offset, n[0].problem.N * 6 * 20);
  EXPECT_EQ(n[1].output_offset, n[0].problem.N * 10 * 20);
  EXPECT_EQ(conv_macs(r), 3 * 10 * 20 * 6);
}

TEST(ExecutorThreads, SampleNetworksAndBatchesMatchTheReference) {
  Rng rng(33);
  using namespace ir::passes::testing;
  const std::vector<std::pair<std::string, ir::Graph>> nets = {
      {"integer_net", ir::testing::integer_net()},
      {"classifier", ir::passes::convert(classifier_net(1))},
      {"classifier a2w2", ir::passes::convert(classifier_net(1, 2, 2))},
      {"residual", ir::passes::convert(residual_net(1))},
      {"depthwise", ir::passes::convert(depthwise_net(1))},
      {"concat", ir::passes::convert(concat_net(1))},
  };
  for (const auto& [name, g] : nets) {
    for (const std::int64_t batch : {1, 3}) {
      Executor probe(g, {.batch = batch});
      const IntTensorMap inputs = testing::random_inputs(probe.graph(), rng);
      EXPECT_GT(expect_threaded_same_as_reference(g, inputs, fmt::format("{} batch {}", name, batch), batch), 0) << name;
    }
  }
}

TEST(ExecutorThreads, RunAllocatesNothing) {
  Rng rng(6);
  const std::vector<ir::Graph> graphs = {ir::passes::convert(ir::passes::testing::residual_net(4)),
                                         ir::passes::convert(ir::passes::testing::depthwise_net(4)),
                                         ir::passes::convert(ir::passes::testing::classifier_net(4))};
  for (const ir::Graph& graph : graphs) {
    for (const fast::Isa isa : testing::supported_isas()) {
      for (const std::int64_t batch : {1, 2}) {
        Executor e(graph, {.isa = isa, .batch = batch, .threads = 2, .parallel_min_macs = 0});
        EXPECT_GT(e.parallel_steps(), 0);
        expect_runs_allocate_nothing(e, rng, 5);
      }
    }
  }
}

TEST(ExecutorThreads, SmallLayersStayWholeByDefault) {
  // The default parallel_min_macs keeps the tiny sample layers on one thread (dispatch would cost more).
  const Executor e(ir::testing::integer_net(), {.threads = 2});
  EXPECT_EQ(e.parallel_steps(), 0);
  EXPECT_EQ(Executor(ir::testing::integer_net(), {.threads = 2, .parallel_min_macs = 0}).parallel_steps() > 0, true);
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
