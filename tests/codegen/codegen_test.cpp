// Generated C against the integer reference runtime, bit for bit: compiled
// with the host gcc (strict C99, UBSan) through codegen::check_on_host and run
// on 100 random inputs per network,
// and cross-compiled for Cortex-M4 and RV32 and run under QEMU on 10 inputs
// (skipped, with the reason, when a toolchain or QEMU is missing).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <unistd.h>  // getpid

#include "codegen/c_types.h"
#include "codegen/codegen.h"
#include "codegen/host_check.h"
#include "codegen/shell.h"
#include "common/error.h"
#include "harness.h"
#include "ir/serialize.h"
#include "ir/requant_params.h"
#include "networks.h"
#include "op_graph.h"
#include "quant/dyadic.h"
#include "runtime/reference.h"

namespace bitlab::codegen {
namespace {

namespace fs = std::filesystem;
using ir::passes::testing::classifier_net;
using ir::passes::testing::concat_net;
using ir::passes::testing::depthwise_net;
using ir::passes::testing::residual_net;

struct Case {
  std::string name;
  ir::Graph graph;  // integer-only
};

std::vector<Case> sample_networks() {
  using ir::passes::convert;
  return {
      {"classifier_w8a8", convert(classifier_net(1, 8, 8))},
      {"classifier_w4a4", convert(classifier_net(2, 4, 4))},
      {"classifier_w4a8", convert(classifier_net(3, 8, 4))},
      {"classifier_w2a8", convert(classifier_net(4, 8, 2))},
      {"classifier_w8a4", convert(classifier_net(5, 4, 8))},
      {"residual", convert(residual_net(6))},
      {"residual_unquantised_sum", convert(residual_net(7, false))},
      {"depthwise", convert(depthwise_net(8))},
      {"concat", convert(concat_net(9))},
      {"concat_quantised", convert(concat_net(10, true))},
  };
}

// The ops and paths the converted samples do not reach: int16 input codes with a
// zero point (int32 patch, generic dot), an accumulator read by two requants
// (stored as int32, standalone per-channel requant, a multiplier ≥ 2^31 on
// the 64-bit path), maxpool and avgpool with padding, clip, an add with an
// output zero point, and a graph output that is a flatten of a buffer.
ir::Graph op_coverage_graph() {
  using runtime::testing::OpGraph;
  using runtime::testing::pt;
  const ir::ElementType i16 = ir::ElementType::integer(16, true), i8 = ir::ElementType::integer(8, true),
                        u8 = ir::ElementType::integer(8, false), i32 = ir::ElementType::integer(32, true),
                        w8 = ir::ElementType::integer(8, true, true);
  const std::vector<double> sw = {0.02, 0.03, 0.01, 0.05};
  std::vector<double> sacc;
  for (const double s : sw) sacc.push_back(0.01 * s);
  std::mt19937_64 rng(11);
  std::vector<std::int64_t> w(4 * 3 * 3 * 3);
  for (auto& v : w) v = static_cast<std::int64_t>(rng() % 255) - 127;
  OpGraph g;
  g.input("x", {2, 3, 5, 5}, i16, pt(0.01, 7));
  g.constant("w", {4, 3, 3, 3}, w8, ir::Quantization::per_channel(0, sw), w);
  g.constant("b", {4}, i32, ir::Quantization::per_channel(0, sacc), {1000, -2000, 0, 123456});
  g.op("acc", ir::OpKind::Conv2d, {"x", "w", "b"}, i32, ir::Quantization::per_channel(1, sacc),
       ir::Conv2dAttrs{.padding = {1, 1}});
  std::vector<double> m1;
  for (const double s : sacc) m1.push_back(s / 0.5);
  g.op("r1", ir::OpKind::Requant, {"acc"}, u8, pt(0.5, 3), ir::make_requant(m1, {3, 255}));
  g.op("r3", ir::OpKind::Requant, {"acc"}, i8, pt(0.7),
       ir::RequantAttrs{.multipliers = {{3000000000LL, 52}, {2500000000LL, 51}, {4000000000LL, 53}, {2200000000LL, 50}},
                        .axis = 1, .lo = -128, .hi = 127});
  g.op("mp", ir::OpKind::MaxPool, {"r1"}, u8, pt(0.5, 3), ir::PoolAttrs{.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}});
  g.op("cl", ir::OpKind::Clip, {"mp"}, u8, pt(0.5, 3), ir::ClipAttrs{.lo = 10, .hi = 200});
  g.op("sum", ir::OpKind::AvgPool, {"cl"}, i32, pt(0.5 / 4), ir::PoolAttrs{.kernel = {2, 2}, .stride = {1, 1}, .padding = {1, 1}});
  const std::vector<double> m_avg = {0.125 / 0.4};
  g.op("ap", ir::OpKind::Requant, {"sum"}, u8, pt(0.4, 1), ir::make_requant(m_avg, {0, 255}));
  g.op("r3mp", ir::OpKind::MaxPool, {"r3"}, i8, pt(0.7), ir::PoolAttrs{.kernel = {2, 2}, .stride = {1, 1}, .padding = {0, 0}});
  const std::vector<double> scales = {0.4, 0.7};
  g.op("y", ir::OpKind::Add, {"ap", "r3mp"}, i8, pt(1.0, -5),
       ir::AddAttrs{ir::make_add_requant(scales, 1.0, {-128, 127})});
  g.op("out", ir::OpKind::Flatten, {"y"}, i8, pt(1.0, -5), ir::FlattenAttrs{});
  return g.build({"out"});
}

Case find_case(const std::string& name) {
  if (name == "op_coverage") return {name, op_coverage_graph()};
  for (Case& c : sample_networks())
    if (c.name == name) return c;
  throw std::invalid_argument(name);
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("bitlab_codegen_{}_{}", name, ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Random codes for the graph's single input, one vector per run (the bare-metal harness embeds them).
std::vector<std::vector<std::int64_t>> random_inputs(const ir::Graph& g, int runs, std::uint64_t seed) {
  std::vector<std::vector<std::int64_t>> out;
  for (const runtime::IntTensorMap& sample : random_input_codes(g, runs, seed)) out.push_back(sample.at(g.inputs.at(0)).values);
  return out;
}

std::vector<std::int64_t> reference(const ir::Graph& g, const std::vector<std::int64_t>& input) {
  const ir::Tensor& x = g.tensor(g.inputs.at(0));
  const runtime::IntTensorMap out = runtime::run_reference(g, {{x.name, runtime::IntTensor{x.shape, input}}});
  return out.at(g.outputs.at(0)).values;
}

std::vector<std::int64_t> parse_numbers(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::int64_t> v;
  for (std::int64_t x; in >> x;) v.push_back(x);
  return v;
}

const char* kStrict = "-std=c99 -Wall -Wextra -Werror -pedantic -O2 -fno-strict-aliasing";
const char* kSanitize = "-fsanitize=undefined -fno-sanitize-recover=all";

class HostCodegen : public ::testing::TestWithParam<std::string> {};

TEST_P(HostCodegen, MatchesReferenceBitForBitOn100RandomInputs) {
  if (!on_path("gcc")) GTEST_SKIP() << "gcc not found on PATH";
  const Case c = find_case(GetParam());
  const fs::path dir = fresh_dir(c.name);
  const GeneratedCode info = generate(c.graph, {.target = Target::Host}, dir);
  EXPECT_EQ(info.files.size(), 4u);
  if (on_path("clang")) {
    const CommandResult clang = run_command(fmt::format("cd {} && clang {} -o /dev/null -c net.c && clang {} -o /dev/null -c net_weights.c",
                                          dir.string(), kStrict, kStrict));
    EXPECT_EQ(clang.status, 0) << clang.output;
  }
  // UBSan turns any signed overflow or bad shift in the generated code into a failure.
  const HostCheckResult r =
      check_on_host(c.graph, dir, {.samples = 100, .seed = 42, .compiler = "gcc", .cflags = kStrict, .extra_flags = kSanitize});
  EXPECT_EQ(r.samples_checked, 100);
  EXPECT_EQ(r.samples_equal, 100) << c.name << ": " << r.first_mismatch;
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(SampleNetworks, HostCodegen,
                         ::testing::Values("classifier_w8a8", "classifier_w4a4", "classifier_w4a8", "classifier_w2a8",
                                           "classifier_w8a4", "residual", "residual_unquantised_sum", "depthwise",
                                           "concat", "concat_quantised", "op_coverage"),
                         [](const auto& info) { return info.param; });

// The 128-bit requantisation path (multipliers ≥ 2^31 on wide inputs) against
// quant::Requantiser on random and extreme values.
TEST(CodegenSupport, WideRequantMatchesRequantiser) {
  if (!on_path("gcc")) GTEST_SKIP() << "gcc not found on PATH";
  const fs::path dir = fresh_dir("wide");
  std::mt19937_64 rng(7);
  struct Sample {
    std::int64_t x, m;
    int s;
    std::int32_t z, lo, hi;
  };
  std::vector<Sample> samples;
  const std::int64_t extremes[] = {0, 1, -1, INT64_MAX, INT64_MIN, INT64_MAX / 3, -(INT64_MAX / 3), 1LL << 40, -(1LL << 40)};
  for (int i = 0; i < 3000; ++i) {
    Sample s{};
    const int kind = i % 3;
    s.x = kind == 0 ? extremes[i / 3 % 9] : kind == 1 ? static_cast<std::int64_t>(rng()) >> (rng() % 64)
                                                      : static_cast<std::int32_t>(rng());
    s.m = static_cast<std::int64_t>(1 + rng() % 0xffffffffULL);
    s.s = static_cast<int>(rng() % 63);
    s.z = static_cast<std::int32_t>(rng() % 256) - 128;
    s.lo = -128 - static_cast<std::int32_t>(rng() % 1000);
    s.hi = 127 + static_cast<std::int32_t>(rng() % 1000);
    samples.push_back(s);
  }
  std::string table;
  for (const Sample& s : samples)
    table += fmt::format("  {{{}, {}u, {}, {}, {}, {}}},\n", c_literal(s.x), s.m, s.s, s.z, s.lo, s.hi);
  write(dir / "wide.c", fmt::format("#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n{}\n"
                                    "static const struct {{ int64_t x; uint32_t m; int s; int32_t z, lo, hi; }} t[] = {{\n{}}};\n"
                                    "int main(void) {{\n  unsigned i;\n  for (i = 0; i < sizeof t / sizeof t[0]; ++i)\n"
                                    "    printf(\"%ld\\n\", (long)bl_requant_wide(t[i].x, t[i].m, t[i].s, t[i].z, t[i].lo, t[i].hi));\n"
                                    "  return 0;\n}}\n",
                                    support_source(Target::Host), table));
  const CommandResult ran = run_command(fmt::format("cd {} && gcc {} -o wide wide.c && ./wide", dir.string(), kStrict));
  ASSERT_EQ(ran.status, 0) << ran.output;
  std::istringstream lines(ran.output);
  for (const Sample& s : samples) {
    std::int64_t got = 0;
    ASSERT_TRUE(lines >> got);
    const quant::Requantiser r{{s.m, s.s}, s.z, {s.lo, s.hi}};
    ASSERT_EQ(got, r.apply(s.x)) << "x=" << s.x << " m=" << s.m << " s=" << s.s;
  }
  fs::remove_all(dir);
}

// ---------------------------------------------------------------- cross targets

struct Cross {
  std::string compiler, qemu, cflags, qemu_args, start, ld;
  Target target;
  std::string harness_flags;
  // Instructions per counter tick under -icount shift=0: SysTick (M4, 25 MHz
  // processor clock) ticks once per 40 ns = 40 instructions; minstret (RV32) is exact.
  std::int64_t instructions_per_tick = 1;
};

Cross cortex_m4() {
  return {"arm-none-eabi-gcc", "qemu-system-arm", "-mcpu=cortex-m4 -mthumb",
          "-M mps2-an386 -nographic -icount shift=0 -semihosting-config enable=on,target=native",
          testing::kCortexM4Start, testing::kCortexM4Ld, Target::CortexM4, "-DBL_COUNTER_MASK=0xFFFFFFu", 40};
}

Cross rv32() {
  return {"riscv64-unknown-elf-gcc", "qemu-system-riscv32", "-march=rv32imc -mabi=ilp32 -mcmodel=medany --specs=picolibc.specs",
          "-M virt -bios none -nographic -icount shift=0 -semihosting-config enable=on,target=native",
          testing::kRv32Start, testing::kRv32Ld, Target::Rv32, "", 1};
}

struct CrossRun {
  std::vector<std::vector<std::int64_t>> outputs;
  std::vector<std::int64_t> layer_counts;
  std::int64_t total = 0;
  std::string size_report;
};

// Sums `size -A` sections of the generated objects into .text / .rodata / .data / .bss
// (RV32's small-data sections .srodata / .sdata / .sbss counted with their big kin).
std::string section_sizes(const std::string& size_a) {
  std::map<std::string, std::int64_t> sum;
  std::istringstream lines(size_a);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream in(line);
    std::string name;
    std::int64_t bytes = 0;
    if (!(in >> name >> bytes)) continue;
    for (const auto& [prefix, kind] : std::initializer_list<std::pair<std::string, std::string>>{
             {".text", "text"}, {".rodata", "rodata"}, {".srodata", "rodata"}, {".data", "data"},
             {".sdata", "data"}, {".bss", "bss"}, {".sbss", "bss"}}) {
      if (name.rfind(prefix, 0) == 0) {
        sum[kind] += bytes;
        break;
      }
    }
  }
  return fmt::format("net.o + net_weights.o: .text {} B, .rodata {} B, .data {} B, .bss {} B\n", sum["text"],
                     sum["rodata"], sum["data"], sum["bss"]);
}

// Generates, cross-compiles (extra_cflags on net.c), runs under QEMU, parses the output.
CrossRun cross_run(const Cross& x, const Case& c, const std::vector<std::vector<std::int64_t>>& inputs,
                   const std::string& extra_cflags, const std::string& tag) {
  const fs::path dir = fresh_dir(c.name + "_" + tag);
  generate(c.graph, {.target = x.target}, dir);
  const ir::Tensor& in = c.graph.tensor(c.graph.inputs.at(0));
  const ir::Tensor& out = c.graph.tensor(c.graph.outputs.at(0));
  write(dir / "main.c", testing::bare_main(c_type(in.type), ir::num_elements(in.shape), c_type(out.type),
                                           ir::num_elements(out.shape), inputs));
  write(dir / "start.c", x.start);
  write(dir / "libc.c", testing::kFreestandingLibc);
  write(dir / "link.ld", x.ld);
  const std::string d = dir.string();
  // The generated code is compiled as a user would (memcpy a builtin); the
  // harness freestanding, so its own memcpy loop is not turned into a call to memcpy.
  const std::string common = fmt::format("{} -ffunction-sections -fdata-sections", x.cflags);
  const CommandResult build = run_command(fmt::format(
      "cd {d} && {cc} {strict} {common} {extra} -DNET_LAYER_HOOK=bl_layer_hook -c net.c net_weights.c && "
      "{cc} -std=c99 -O2 {common} -ffreestanding -fno-tree-loop-distribute-patterns {hflags} -c main.c start.c libc.c && "
      "{cc} {common} -nostdlib -nostartfiles -T link.ld -Wl,--gc-sections -o prog.elf net.o net_weights.o main.o start.o "
      "libc.o -lgcc",
      fmt::arg("d", d), fmt::arg("cc", x.compiler), fmt::arg("strict", kStrict), fmt::arg("common", common),
      fmt::arg("extra", extra_cflags), fmt::arg("hflags", x.harness_flags)));
  if (build.status != 0) throw std::runtime_error("cross build failed:\n" + build.output);
  const std::string size_tool = x.compiler.substr(0, x.compiler.size() - 3) + "size";
  CrossRun r;
  r.size_report = section_sizes(run_command(fmt::format("cd {} && {} -A net.o net_weights.o", d, size_tool)).output);
  const CommandResult ran = run_command(fmt::format("cd {} && {} {} -kernel prog.elf", d, x.qemu, x.qemu_args));
  if (ran.status != 0) throw std::runtime_error("QEMU run failed:\n" + ran.output);
  std::istringstream lines(ran.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("OUT", 0) == 0) r.outputs.push_back(parse_numbers(line.substr(3)));
    if (line.rfind("LAYER ", 0) == 0) r.layer_counts.push_back(parse_numbers(line.substr(6)).at(1));
    if (line.rfind("TOTAL ", 0) == 0) r.total = parse_numbers(line.substr(6)).at(0);
  }
  fs::remove_all(dir);
  return r;
}

void check_cross(const Cross& x, const Case& c, const std::vector<std::string>& dsp_variants, int runs = 10) {
  if (!on_path(x.compiler)) GTEST_SKIP() << x.compiler << " not found (Debian: see scripts/install-deps.sh)";
  if (!on_path(x.qemu)) GTEST_SKIP() << x.qemu << " not found (Debian: see scripts/install-deps.sh)";
  const std::string& name = c.name;
  const auto inputs = random_inputs(c.graph, runs, 43);
  for (const std::string& variant : dsp_variants) {
    const CrossRun r = cross_run(x, c, inputs, variant, variant.empty() ? "default" : "nodsp");
    ASSERT_EQ(r.outputs.size(), inputs.size()) << "QEMU printed " << r.outputs.size() << " outputs";
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      ASSERT_EQ(r.outputs[i], reference(c.graph, inputs[i])) << name << " input " << i << " " << variant;
    }
    // Reported, not asserted: the numbers docs/codegen.md quotes.
    std::string layers;
    for (std::size_t l = 0; l < r.layer_counts.size(); ++l) {
      layers += fmt::format(" {}", r.layer_counts[l] * x.instructions_per_tick);
    }
    std::cout << fmt::format("[{} {} {}] instructions per net_run (batch {}): {}; per layer:{}\n{}", to_string(x.target),
                             name, variant.empty() ? "default" : variant, c.graph.tensor(c.graph.inputs[0]).shape[0],
                             r.total * x.instructions_per_tick, layers, r.size_report);
  }
}

TEST(CortexM4Codegen, MatchesReferenceUnderQemuWithAndWithoutDsp) {
  check_cross(cortex_m4(), find_case("classifier_w8a8"), {"", "-DBL_NO_DSP"});
}

TEST(CortexM4Codegen, SubByteAndResidualMatchReferenceUnderQemu) {
  check_cross(cortex_m4(), find_case("classifier_w4a4"), {"", "-DBL_NO_DSP"});  // the 4-bit SMLAD kernel
  check_cross(cortex_m4(), find_case("residual"), {""});
  check_cross(cortex_m4(), find_case("op_coverage"), {""});
}

// The SMLAD dot products against their portable loops on random data for
// every length 0..67 (all remainders mod 4) and odd patch offsets, on the
// emulated Cortex-M4.
TEST(CortexM4Codegen, DspKernelsMatchPortableLoopsOnRandomLengths) {
  const Cross x = cortex_m4();
  if (!on_path(x.compiler)) GTEST_SKIP() << x.compiler << " not found (Debian: see scripts/install-deps.sh)";
  if (!on_path(x.qemu)) GTEST_SKIP() << x.qemu << " not found (Debian: see scripts/install-deps.sh)";
  const fs::path dir = fresh_dir("dsp_kernels");
  write(dir / "kernels.c", "#include <stdint.h>\n#include <string.h>\n" + support_source(Target::CortexM4) + R"(
void bl_write0(const char* s);
static uint32_t state = 12345u;
static uint32_t next(void) { state = state * 1664525u + 1013904223u; return state >> 8; }
int main(void) {
  static int16_t a[80];
  static uint8_t w[80];
  int32_t n, off, k, bad = 0, trial;
  for (trial = 0; trial < 20; ++trial) {
    for (k = 0; k < 80; ++k) { a[k] = (int16_t)((int32_t)(next() % 511) - 255); w[k] = (uint8_t)next(); }
    for (n = 0; n <= 67; ++n) {
      for (off = 0; off < 2; ++off) {
        const int32_t acc = (int32_t)(next() % 100000) - 50000;
        if (bl_dot_q15_s8(a + off, w, n, acc) != bl_dot_q15_s8_c(a + off, w, n, acc)) ++bad;
        if (bl_dot_q15_s4(a + off, w + off, n, acc) != bl_dot_q15_s4_c(a + off, w + off, n, acc)) ++bad;
      }
    }
  }
  bl_write0(bad == 0 ? "KERNELS OK\n" : "KERNELS MISMATCH\n");
  return 0;
}
)");
  write(dir / "start.c", x.start);
  write(dir / "libc.c", testing::kFreestandingLibc);
  write(dir / "link.ld", x.ld);
  const CommandResult ran = run_command(fmt::format(
      "cd {d} && {cc} {strict} {f} -c kernels.c && {cc} -O2 {f} -ffreestanding -fno-tree-loop-distribute-patterns "
      "-c start.c libc.c && {cc} {f} -nostdlib -nostartfiles -T link.ld -o k.elf kernels.o start.o libc.o -lgcc && "
      "{q} {qa} -kernel k.elf",
      fmt::arg("d", dir.string()), fmt::arg("cc", x.compiler), fmt::arg("strict", kStrict), fmt::arg("f", x.cflags),
      fmt::arg("q", x.qemu), fmt::arg("qa", x.qemu_args)));
  ASSERT_EQ(ran.status, 0) << ran.output;
  EXPECT_NE(ran.output.find("KERNELS OK"), std::string::npos) << ran.output;
  fs::remove_all(dir);
}

TEST(Rv32Codegen, MatchesReferenceUnderQemu) {
  check_cross(rv32(), find_case("classifier_w8a8"), {""});
  check_cross(rv32(), find_case("classifier_w4a4"), {""});
}

// Measures a converted network (e.g. runs/qat/w8a8-ste/net.tq.json) when
// BITLAB_CODEGEN_GRAPH names it: the numbers docs/codegen.md quotes. Skipped otherwise.
TEST(CodegenMeasure, GraphNamedByEnvironment) {
  const char* path = std::getenv("BITLAB_CODEGEN_GRAPH");
  if (path == nullptr) GTEST_SKIP() << "set BITLAB_CODEGEN_GRAPH=NET.tq.json to measure a converted network";
  const Case c{fs::path(path).parent_path().filename().string(), ir::load_graph(path)};
  const GeneratedSources g = render(c.graph);
  std::cout << fmt::format("[{}] arena {} B, patch {} B, weights and tables {} B, peak live {} B, {} layers\n", c.name,
                           g.info.arena_bytes, g.info.scratch_bytes, g.info.weight_bytes, g.info.peak_live_bytes,
                           g.info.layers);
  check_cross(cortex_m4(), c, {"", "-DBL_NO_DSP"}, 3);
  check_cross(rv32(), c, {""}, 3);
}

// Two generated networks can be linked into one program: every exported
// symbol and macro carries the prefix, everything else is static.
TEST(CodegenNames, PrefixNamesTheApiTablesAndFiles) {
  const Case c = find_case("residual");
  const GeneratedSources g = render(c.graph, {.prefix = "kws"});
  EXPECT_NE(g.header.find("int kws_run(const uint8_t* in0, int8_t* out0);"), std::string::npos) << g.header;
  EXPECT_NE(g.header.find("#define KWS_ARENA_BYTES"), std::string::npos);
  EXPECT_NE(g.source.find("#include \"kws.h\""), std::string::npos);
  EXPECT_NE(g.weights.find("const uint8_t kws_w0[]"), std::string::npos);
  EXPECT_EQ(g.weights.find("net_"), std::string::npos);
  EXPECT_EQ(g.info.layers, 5);
  EXPECT_GE(g.info.arena_bytes, g.info.peak_live_bytes);
}

TEST(CodegenErrors, RejectsUnknownTargetAndBadPrefix) {
  EXPECT_THROW(target_from_string("avr"), ConfigError);
  EXPECT_EQ(target_from_string("cortex-m4"), Target::CortexM4);
  const Case c = find_case("classifier_w8a8");
  EXPECT_THROW(render(c.graph, {.prefix = "1net"}), ConfigError);
}

}  // namespace
}  // namespace bitlab::codegen
