#pragma once
// Compiles a generated C folder (codegen::generate) with the host's C compiler
// next to a small main() that reads input codes from stdin, runs it on many
// inputs and compares every output with runtime::run_reference, bit for bit
// (docs/codegen.md "Checking on the host"). Used by `bitlab codegen --check`
// and by the codegen tests.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "codegen/host_compiler.h"  // HostCheckError, kHostCFlags
#include "ir/graph.h"
#include "runtime/tensor.h"

namespace bitlab::codegen {

struct HostCheckOptions {
  // Random input codes, uniform over each input type's range, when `inputs` is empty.
  int samples = 100;
  std::uint64_t seed = 1;
  // Caller-given inputs (every graph input by tensor name); replace the random ones.
  std::vector<runtime::IntTensorMap> inputs;
  // The C compiler command; empty: $CC if set, else `cc`.
  std::string compiler;
  // Flags for the generated files (-fno-strict-aliasing: the arena is shared by types).
  std::string cflags{kHostCFlags};
  // Flags for every compile and the link, e.g. sanitizers.
  std::string extra_flags;
  // The prefix the code was generated with (CodegenOptions::prefix).
  std::string prefix = "net";
  // Where main.c, the objects and the program go; empty: a fresh temporary folder, removed afterwards.
  std::filesystem::path work_dir;
  // A progress bar on stderr while the reference runtime checks the outputs.
  bool progress = false;
};

struct HostCheckResult {
  std::string compiler;      // the compiler command that was used
  int samples_checked = 0;
  int samples_equal = 0;     // samples whose every output equals the reference
  std::string first_mismatch;  // sample, output, element and both values; empty when all equal
  bool all_equal() const { return samples_checked > 0 && samples_equal == samples_checked; }
};

// Builds generated_dir/PREFIX.c + PREFIX_weights.c with a stdin-driven main
// and compares its outputs with runtime::run_reference on every sample.
// Throws ConfigError when the compiler is not found or an input tensor is
// missing or misshapen, HostCheckError when compiling or running fails.
HostCheckResult check_on_host(const ir::Graph& integer_graph, const std::filesystem::path& generated_dir,
                              const HostCheckOptions& options = {});

// `count` input maps of codes drawn uniformly from each graph input's type range.
std::vector<runtime::IntTensorMap> random_input_codes(const ir::Graph& graph, int count, std::uint64_t seed);

// The harness main(): reads every input's codes (whitespace separated, graph
// order) from stdin per run, calls PREFIX_run and prints one line per output.
std::string host_main_source(const ir::Graph& graph, const std::string& prefix);

}  // namespace bitlab::codegen
