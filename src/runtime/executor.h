#pragma once
// The fast integer executor (docs/runtime.md): loads an integer IR graph once,
// packs the weights of conv2d / linear into the layouts of the fast kernels
// (runtime/fast/packed_conv.h), fuses each conv2d / linear with the requant
// that consumes it, and places every activation and scratch buffer in one
// static arena planned from their lifetimes (runtime/memory_plan.h). run()
// then allocates nothing. Results equal run_reference bit for bit
// (docs/integer-spec.md §14); ops the fast kernels do not cover (codes wider
// than 8 bits, int64 accumulators, weights that do not fit int8 after their
// zero point) run on exact generic loops inside the same arena.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/fast/isa.h"
#include "runtime/tensor.h"

namespace bitlab::runtime {

struct ExecutorOptions {
  fast::Isa isa = fast::best_isa();  // must be supported (fast::isa_supported)
  bool fast_kernels = true;          // false: every op on the generic loops (a second reference)
  bool fuse_requant = true;          // conv2d/linear + its requant in one pass, no accumulator buffer
  bool binary_kernels = true;        // 1-bit activations × ±1 weights on AND + popcount
  bool direct_kernels = true;        // depthwise conv2d and small-batch linear on their direct kernels, not the packed GEMM
  // Batch size to run; 0 keeps the graph's. Otherwise dim 0 of the inputs (and
  // of reshape targets that name it) is replaced and shapes are re-inferred.
  std::int64_t batch = 0;
  std::int64_t alignment = 64;  // bytes; every arena buffer starts at a multiple
  // Threads that run() uses (the caller's included), started here and kept until
  // destruction. Each fast conv / linear is cut at load into slices by samples,
  // output channels or groups (runtime/conv_split.h); results are the same bit
  // for bit for every count. Only layers with at least parallel_min_macs
  // multiply-accumulates per slice are cut (0: every layer that can be).
  int threads = 1;
  std::int64_t parallel_min_macs = std::int64_t{1} << 15;  // tuned on resnet8 / mobilenet / ds-cnn (docs/runtime.md)
};

struct ExecutorMemory {
  std::int64_t arena_bytes = 0;       // the one allocation run() uses
  std::int64_t peak_live_bytes = 0;   // lower bound on any placement of these buffers
  std::int64_t unshared_bytes = 0;    // one buffer per tensor (and per scratch), no reuse
  std::int64_t packed_weight_bytes = 0;
};

class Executor {
 public:
  // Validates the graph (ir::validate_integer_graph) and prepares everything;
  // throws std::invalid_argument for an unsupported ISA.
  explicit Executor(const ir::Graph& graph, ExecutorOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  [[nodiscard]] const ir::Graph& graph() const { return graph_; }  // re-batched when options.batch was set
  [[nodiscard]] const ExecutorOptions& options() const { return options_; }
  [[nodiscard]] const ExecutorMemory& memory() const { return memory_; }
  // How many conv2d/linear nodes run on each kernel kind ("int8", "binary", "generic").
  [[nodiscard]] std::string kernel_summary() const;
  // How many conv2d/linear steps run as slices on several threads (0 with threads = 1).
  [[nodiscard]] int parallel_steps() const;

  // Copies graph input `index` (codes, row-major) into the arena; throws
  // std::invalid_argument for a wrong count or a code outside its type.
  void set_input(std::size_t index, std::span<const std::int64_t> codes);
  // Runs every step; no heap allocation. Inputs must have been set.
  void run();
  // Copies graph output `index` out of the arena; `out` must hold exactly its elements.
  void get_output(std::size_t index, std::span<std::int64_t> out) const;

  // Convenience for tests and tools (allocates): inputs by name, outputs by name.
  IntTensorMap run(const IntTensorMap& inputs);

  struct Plan;

 private:
  ir::Graph graph_;
  ExecutorOptions options_;
  ExecutorMemory memory_;
  std::unique_ptr<Plan> plan_;
};

}  // namespace bitlab::runtime
