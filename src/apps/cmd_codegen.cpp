// `bitlab codegen NET.tq.json --target host|cortex-m4|rv32 --out DIR [--check N]`:
// C99 sources for an integer-only graph (docs/codegen.md); with --check, also
// builds them with the host C compiler and compares with the integer runtime.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "apps/commands.h"
#include "codegen/codegen.h"
#include "codegen/host_check.h"
#include "common/error.h"
#include "ir/serialize.h"

namespace bitlab::apps {
namespace {

// README "Exit codes": the generated C did not build, crashed, or disagrees
// with the integer runtime; distinct from the input errors (2-4) so scripts
// can tell a codegen bug from a bad flag.
constexpr int kExitHostCheckFailed = 6;

struct CodegenCommandOptions {
  std::filesystem::path graph;
  std::string target = "host";
  std::filesystem::path out;
  std::string prefix = "net";
  int check = 0;  // random inputs to run the host build on; 0: no check
  std::uint64_t seed = 1;
};

// Builds the generated folder with the host C compiler ($CC, else cc) and
// compares it with runtime::run_reference on `options.check` random inputs.
int check_generated_code(const CodegenCommandOptions& options, const ir::Graph& graph) {
  codegen::HostCheckOptions check_options;
  check_options.samples = options.check;
  check_options.seed = options.seed;
  check_options.prefix = options.prefix;
  check_options.progress = true;
  codegen::HostCheckResult result;
  try {
    result = codegen::check_on_host(graph, options.out, check_options);
  } catch (const codegen::HostCheckError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return kExitHostCheckFailed;
  }
  if (!result.all_equal()) {
    fmt::print(stderr, "host C build: outputs != integer runtime on {} of {} inputs; first: {}\n",
               result.samples_checked - result.samples_equal, result.samples_checked, result.first_mismatch);
    return kExitHostCheckFailed;
  }
  fmt::print("host C build: outputs == integer runtime on {}/{} inputs (bit for bit)\n", result.samples_equal,
             result.samples_checked);
  return 0;
}

int run_codegen(const CodegenCommandOptions& options) {
  codegen::CodegenOptions codegen_options;
  codegen_options.target = codegen::target_from_string(options.target);  // ConfigError names the choices
  codegen_options.prefix = options.prefix;
  if (options.check > 0 && codegen_options.target != codegen::Target::Host) {
    throw ConfigError(fmt::format(
        "--check runs the generated C on this machine, so it needs --target host (got --target {}); the cortex-m4 and "
        "rv32 builds are checked under QEMU by the tests: test_codegen --gtest_filter='CortexM4*:Rv32*' "
        "(docs/codegen.md, \"How it is checked\")",
        options.target));
  }
  const ir::Graph graph = ir::load_graph(options.graph);  // IoError names the file and field
  const codegen::GeneratedCode code = codegen::generate(graph, codegen_options, options.out);
  fmt::print("{}: {} layers of C99 for {} written to {}\n", options.graph.string(), code.layers, options.target,
             options.out.string());
  fmt::print("  activation arena {} B + im2col patch {} B (static RAM), weights and tables {} B (const)\n",
             code.arena_bytes, code.scratch_bytes, code.weight_bytes);
  for (const auto& file : code.files) fmt::print("  {}\n", file.filename().string());
  if (options.check > 0) return check_generated_code(options, graph);
  return 0;
}

}  // namespace

Action add_codegen_command(CLI::App& app) {
  auto options = std::make_shared<CodegenCommandOptions>();
  auto* cmd = app.add_subcommand("codegen", "Generate C99 sources (no heap, static arena) for an integer-only graph");
  cmd->add_option("graph", options->graph, "NET.tq.json written by `bitlab convert`")->required();
  cmd->add_option("--target", options->target, "host, cortex-m4 (SMLAD where it pays) or rv32")
      ->check(CLI::IsMember({"host", "cortex-m4", "rv32"}));
  cmd->add_option("--out", options->out, "Folder to write net.h, net.c, net_weights.c and README.md into")->required();
  cmd->add_option("--prefix", options->prefix, "Prefix of the C symbols and file names (default: net)");
  cmd->add_option("--check", options->check,
                  "Build the C with the host compiler ($CC, else cc) and compare it with the integer runtime on N "
                  "random inputs, bit for bit (--target host only; exit 6 on any difference)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", options->seed, "Seed of the --check inputs (default: 1)");
  return [options] { return run_codegen(*options); };
}

}  // namespace bitlab::apps
