#pragma once
// C code generation from an integer-only IR graph (docs/codegen.md): a
// self-contained C99 directory (net.h, net.c, net_weights.c, README.md) whose
// net_run() computes exactly what runtime::run_reference computes
// (docs/integer-spec.md §14), with one static activation arena placed by the
// greedy-by-size planner, packed const weights and no heap.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"

namespace bitlab::codegen {

enum class Target : std::uint8_t {
  Host,       // portable C99
  CortexM4,   // portable C99 plus an SMLAD dot product under __ARM_FEATURE_DSP
  Rv32,       // portable C99 (rv32imc has no packed SIMD); README shows the flags
};

std::string_view to_string(Target target);
// "host", "cortex-m4", "rv32"; throws ConfigError listing them.
Target target_from_string(std::string_view name);

struct CodegenOptions {
  Target target = Target::Host;
  // Prefix of every exported C symbol and macro: PREFIX_run, PREFIX_INPUT_SIZE...
  std::string prefix = "net";
  // Arena offsets are multiples of this (8 keeps int64 accumulators aligned).
  std::int64_t arena_alignment = 8;
};

// What generate() wrote and the sizes it planned.
struct GeneratedCode {
  std::vector<std::filesystem::path> files;
  std::int64_t arena_bytes = 0;        // the static activation arena
  std::int64_t scratch_bytes = 0;      // the im2col patch buffer beside it
  std::int64_t weight_bytes = 0;       // packed weights + biases + requant tables
  std::int64_t peak_live_bytes = 0;    // the planner's lower bound on the arena
  int layers = 0;                      // generated layer functions
};

// The four files as strings (net.h, net.c, net_weights.c, README.md), in that order.
struct GeneratedSources {
  std::string header, source, weights, readme;
  GeneratedCode info;
};

// Validates the graph (ir::validate_integer_graph; GraphError otherwise) and
// renders the C sources. Throws ConfigError for a graph it cannot express
// (a graph input that is also an output, a bad prefix).
GeneratedSources render(const ir::Graph& integer_graph, const CodegenOptions& options = {});

// render(), then writes the files into `out_dir` (created if missing), each atomically.
GeneratedCode generate(const ir::Graph& integer_graph, const CodegenOptions& options,
                       const std::filesystem::path& out_dir);

// The fixed C support code (requantisation, packed loads, dot products) that
// net.c starts with; exposed so tests can check the wide requantisation
// against quant::Requantiser directly.
std::string support_source(Target target);

}  // namespace bitlab::codegen
