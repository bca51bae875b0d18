// Throughput of the fast integer executor (docs/benchmarks.md, "Integer runtime"):
// one conv2d + requant layer, batch 1, one thread, per ISA path and weight
// precision, and the reference runtime on the same graph for the ratio.
// Counters: GMAC/s and MAC/cycle at the core clock measured in the same run
// (bench/core_clock.h: a dependent chain of 1-cycle integer adds timed in thread
// CPU time, so neither the TSC's 2.1 GHz nor other jobs' time enters the cycles).
// The conv layer is bench/conv_layer.h's, shared with bench_layer_graphs.
#include <benchmark/benchmark.h>

#if defined(__x86_64__)
// GCC 12 warns inside its own AVX-512 headers (the _mm512_undefined_* placeholders).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "conv_layer.h"
#include "core_clock.h"
#include "ir/graph.h"
#include "ir/requant_params.h"
#include "ir/shape_inference.h"
#include "runtime/executor.h"
#include "runtime/fast/packed_conv.h"
#include "runtime/reference.h"

namespace {

using namespace bitlab;

using bench::conv_layer;
using bench::core_hz;
using bench::measure_core_hz;
using bench::thread_seconds;
using bench::Weights;

std::vector<std::int64_t> random_input(const ir::Graph& g) {
  std::mt19937_64 rng(7);
  const ir::Tensor& x = g.tensor("x");
  std::vector<std::int64_t> v(static_cast<std::size_t>(ir::num_elements(x.shape)));
  for (auto& e : v) e = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(x.type.max_value() + 1));
  return v;
}

void report(benchmark::State& state, double macs) {
  state.counters["GMAC/s"] = benchmark::Counter(macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MAC/cycle"] = benchmark::Counter(macs / core_hz(), benchmark::Counter::kIsIterationInvariantRate);
}

// Args: C (= O), spatial size, kernel, weights (0 int8, 1 int4, 2 binary), isa (0 portable, 1 avx2, 2 avx512).
void BM_Conv(benchmark::State& state) {
  const std::int64_t C = state.range(0), S = state.range(1), k = state.range(2);
  const auto weights = static_cast<Weights>(state.range(3));
  const auto isa = static_cast<runtime::fast::Isa>(state.range(4));
  if (!runtime::fast::isa_supported(isa)) {
    state.SkipWithError("ISA not supported on this CPU");
    return;
  }
  const ir::Graph g = conv_layer(C, C, S, k, weights);
  runtime::Executor e(g, {.isa = isa});
  e.set_input(0, random_input(g));
  for (auto _ : state) {
    e.run();
    benchmark::ClobberMemory();
  }
  report(state, static_cast<double>(C * C * k * k * S * S));
  state.SetLabel(e.kernel_summary());
}

void BM_ConvReference(benchmark::State& state) {
  const std::int64_t C = state.range(0), S = state.range(1), k = state.range(2);
  const ir::Graph g = conv_layer(C, C, S, k, static_cast<Weights>(state.range(3)));
  const runtime::IntTensorMap inputs = {{"x", {g.tensor("x").shape, random_input(g)}}};
  for (auto _ : state) benchmark::DoNotOptimize(runtime::run_reference(g, inputs));
  report(state, static_cast<double>(C * C * k * k * S * S));
}

void conv_args(benchmark::internal::Benchmark* b) {
  for (const auto& [c, s] : {std::pair{128, 28}, std::pair{64, 56}})
    for (const int k : {1, 3})
      for (const int w : {0, 1, 2})
        for (const int isa : {0, 1, 2}) b->Args({c, s, k, w, isa});
}

BENCHMARK(BM_Conv)->Apply(conv_args)->ArgNames({"C", "S", "k", "w", "isa"})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ConvReference)
    ->Args({128, 28, 1, 0})
    ->Args({128, 28, 3, 0})
    ->ArgNames({"C", "S", "k", "w"})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

// A depthwise conv2d layer (3 × 3, pad 1, groups = C) + per-channel requant on the direct
// kernel: the shapes of DS-CNN (64 × 25 × 5) and MobileNet-v1-0.25-96 (48 × 48 … 3 × 3).
// Args: C, H, W, stride, isa (0 portable, 1 avx2, 2 avx512).
ir::Graph depthwise_layer(std::int64_t C, std::int64_t H, std::int64_t W, std::int64_t stride) {
  std::mt19937_64 rng(42);
  ir::Graph g;
  const ir::ElementType wt = ir::ElementType::integer(8, true, true);
  g.add_tensor(ir::int_tensor("x", {1, C, H, W}, ir::ElementType::integer(8, false), ir::Quantization::per_tensor(0.05, 0)));
  std::vector<std::int64_t> w(static_cast<std::size_t>(C * 9));
  for (auto& v : w) v = static_cast<std::int64_t>(rng() % 255) - 127;
  g.add_tensor(ir::int_constant("w", {C, 1, 3, 3}, wt, ir::Quantization::per_tensor(0.01), w));
  ir::Node conv{"conv", ir::OpKind::Conv2d, {"x", "w"}, {"acc"},
                ir::Conv2dAttrs{.stride = {stride, stride}, .padding = {1, 1}, .groups = C}};
  g.add_tensor(ir::int_tensor("acc", ir::infer_output_shape(g, conv), ir::ElementType::integer(32, true),
                              ir::Quantization::per_tensor(0.05 * 0.01)));
  g.add_node(conv);
  std::vector<double> m;
  for (std::int64_t c = 0; c < C; ++c) m.push_back(256.0 / (3.0 * 255.0 * 127.0 / 2.0) * (1.0 + 0.01 * static_cast<double>(c % 7)));
  g.add_tensor(ir::int_tensor("y", g.tensor("acc").shape, ir::ElementType::integer(8, false), ir::Quantization::per_tensor(0.1, 0)));
  g.add_node(ir::Node{"rq", ir::OpKind::Requant, {"acc"}, {"y"}, ir::make_requant(m, quant::OutputClamp{0, 255}, 1)});
  g.inputs = {"x"};
  g.outputs = {"y"};
  return g;
}

void BM_Depthwise(benchmark::State& state) {
  const std::int64_t C = state.range(0), H = state.range(1), W = state.range(2), stride = state.range(3);
  const auto isa = static_cast<runtime::fast::Isa>(state.range(4));
  if (!runtime::fast::isa_supported(isa)) {
    state.SkipWithError("ISA not supported on this CPU");
    return;
  }
  const ir::Graph g = depthwise_layer(C, H, W, stride);
  runtime::Executor e(g, {.isa = isa});
  e.set_input(0, random_input(g));
  for (auto _ : state) {
    e.run();
    benchmark::ClobberMemory();
  }
  const std::int64_t OH = (H - 1) / stride + 1, OW = (W - 1) / stride + 1;
  report(state, static_cast<double>(C * 9 * OH * OW));
  state.SetLabel(e.kernel_summary());
}

void depthwise_args(benchmark::internal::Benchmark* b) {
  const std::int64_t shapes[][4] = {{64, 25, 5, 1},  {8, 48, 48, 1},  {16, 48, 48, 2}, {32, 24, 24, 1}, {32, 24, 24, 2},
                                    {64, 12, 12, 1}, {64, 12, 12, 2}, {128, 6, 6, 1},  {128, 6, 6, 2},  {256, 3, 3, 1}};
  for (const auto& s : shapes)
    for (const int isa : {0, 1, 2}) b->Args({s[0], s[1], s[2], s[3], isa});
}
BENCHMARK(BM_Depthwise)->Apply(depthwise_args)->ArgNames({"C", "H", "W", "s", "isa"})->Unit(benchmark::kMicrosecond);

// The AVX-512 micro-kernels alone on one 64-pixel panel (in cache) and 6 output
// channels; arg: K/4 (int8) or K/8 (binary, a multiple of 4) steps.
void BM_Int8MicroKernel(benchmark::State& state) {
  if (!runtime::fast::isa_supported(runtime::fast::Isa::Avx512)) return state.SkipWithError("no AVX-512");
  const std::int64_t steps = state.range(0);
  std::vector<std::uint8_t> panel(static_cast<std::size_t>(steps * 256), 3);
  std::vector<std::int8_t> w(static_cast<std::size_t>(6 * steps * 4), 1);
  std::vector<std::int32_t> raw(6 * 64);
  for (auto _ : state) {
    runtime::fast::detail::multiply_int8_avx512(panel.data(), w.data(), steps, raw.data(), 6, 4);
    benchmark::DoNotOptimize(raw.data());
  }
  report(state, static_cast<double>(6 * 64 * steps * 4));
}
void BM_BinaryMicroKernel(benchmark::State& state) {
  if (!runtime::fast::isa_supported(runtime::fast::Isa::Avx512)) return state.SkipWithError("no AVX-512");
  const std::int64_t steps = state.range(0);
  std::vector<std::uint8_t> panel(static_cast<std::size_t>(steps * 64), 0x5A), w(static_cast<std::size_t>(6 * steps), 0x33);
  std::vector<std::int32_t> raw(6 * 64);
  for (auto _ : state) {
    runtime::fast::detail::multiply_binary_avx512(panel.data(), w.data(), steps / 4, raw.data(), 6, 4);
    benchmark::DoNotOptimize(raw.data());
  }
  report(state, static_cast<double>(6 * 64 * steps * 8));
}

#if defined(__x86_64__)
// The machine's peak: N independent accumulator chains of one instruction, no loads, timed
// against the core clock measured in the same process (core_hz). Args: accumulators,
// kind (0 VPDPBUSD zmm, 1 VPDPBUSD ymm, 2 binary: VPANDD + VPOPCNTB + VPADDB zmm).
template <int N>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512bitalg"), noinline)) void peak_loop(int kind, std::int64_t n,
                                                                                                    std::int32_t* out) {
  __m512i x = _mm512_set1_epi32(0x01010101);
  const __m512i y = _mm512_set1_epi32(0x02020202);
  __m512i s = _mm512_setzero_si512();
  if (kind == 0) {
    __m512i a[N];
    for (auto& v : a) v = _mm512_setzero_si512();
    for (std::int64_t k = 0; k < n; ++k) {
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i) a[i] = _mm512_dpbusd_epi32(a[i], x, y);
      __asm__ volatile("" : "+v"(x));  // keeps the loop from being folded
    }
    for (auto& v : a) s = _mm512_add_epi32(s, v);
  } else if (kind == 1) {
    __m256i a[N];
    const __m256i x8 = _mm512_castsi512_si256(x), y8 = _mm512_castsi512_si256(y);
    for (auto& v : a) v = _mm256_setzero_si256();
    for (std::int64_t k = 0; k < n; ++k) {
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i) a[i] = _mm256_dpbusd_epi32(a[i], x8, y8);
      __asm__ volatile("" : "+v"(x));
    }
    for (auto& v : a) s = _mm512_add_epi32(s, _mm512_castsi256_si512(v));
  } else {  // N distinct AND operands (8 inputs × 2 masks), else the compiler computes one popcount
    __m512i a[N], in[8];
    const __m512i z = _mm512_set1_epi32(0x0F0F0F0F);
    for (auto& v : a) v = _mm512_setzero_si512();
    for (int i = 0; i < 8; ++i) in[i] = _mm512_set1_epi32(0x01010101 * (i + 1));
    for (std::int64_t k = 0; k < n; ++k) {
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i) a[i] = _mm512_add_epi8(a[i], _mm512_popcnt_epi8(_mm512_and_si512(in[i % 8], i < 8 ? y : z)));
#pragma GCC unroll 8
      for (auto& v : in) __asm__ volatile("" : "+v"(v));
    }
    for (auto& v : a) s = _mm512_add_epi32(s, v);
  }
  _mm512_storeu_si512(out, s);
}
void BM_Peak(benchmark::State& state) {
  if (!runtime::fast::isa_supported(runtime::fast::Isa::Avx512)) return state.SkipWithError("no AVX-512");
  const int accumulators = static_cast<int>(state.range(0)), kind = static_cast<int>(state.range(1));
  std::int32_t out[16];
  constexpr std::int64_t kIterations = 100000;
  double seconds = 0;
  for (auto _ : state) {
    const double t0 = thread_seconds();
    if (accumulators == 12) peak_loop<12>(kind, kIterations, out);
    else peak_loop<16>(kind, kIterations, out);
    seconds += thread_seconds() - t0;
    benchmark::DoNotOptimize(out);
  }
  const double instructions = static_cast<double>(state.iterations() * kIterations * accumulators);
  const double macs_per_instruction = kind == 0 ? 64 : kind == 1 ? 32 : 512;
  state.counters["core GHz"] = core_hz() * 1e-9;
  state.counters["instr/cycle"] = instructions / (seconds * core_hz());
  state.counters["MAC/cycle"] = instructions * macs_per_instruction / (seconds * core_hz());
  state.SetLabel(kind == 0 ? "vpdpbusd zmm" : kind == 1 ? "vpdpbusd ymm" : "and+popcnt.b+add.b zmm (binary MACs)");
}
BENCHMARK(BM_Peak)->ArgsProduct({{12, 16}, {0, 1, 2}})->ArgNames({"acc", "kind"});
#endif

BENCHMARK(BM_Int8MicroKernel)->Arg(32)->Arg(288);
BENCHMARK(BM_BinaryMicroKernel)->Arg(16)->Arg(144);

void BM_CoreClock(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(measure_core_hz());
  state.counters["core GHz"] = core_hz() * 1e-9;
}
BENCHMARK(BM_CoreClock)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
