#pragma once
// The generated C as a latency-profiler executor (`bitlab hw profile
// --executor c`, docs/cost-models.md §11): each single-layer graph is
// generated (target host), compiled by the host C compiler into a shared
// object and dlopen()ed, so the table measures the code that is deployed,
// with its width-dependent inner loops (docs/codegen.md "Arithmetic"), rather
// than the runtime's int8 kernels that run every width alike.
//
// Lives beside codegen, not in hw, so the cost models never depend on codegen.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/host_compiler.h"
#include "hw/latency_profiler.h"
#include "ir/graph.h"
#include "runtime/tensor.h"

namespace bitlab::codegen {

// The executor name the latency table records.
inline constexpr std::string_view kCHostExecutorName = "c-host";

struct CExecutorOptions {
  // The C compiler command; empty: $CC if set, else `cc`.
  std::string compiler;
  // Flags for the generated files, as `bitlab codegen --check` builds them;
  // -fPIC -shared are added.
  std::string cflags{kHostCFlags};
  // Flags added to every compile, e.g. -march=native.
  std::string extra_flags;
};

// An integer graph as generated C loaded into this process: generated into a
// fresh temporary folder under a symbol prefix unique to this object, built
// there as a shared object, dlopen()ed with RTLD_LOCAL, with the inputs
// already converted to the C input types and the output buffers allocated.
// The destructor unloads the object and removes the folder.
class CompiledGraph {
 public:
  // Throws ConfigError when the compiler is missing, an input is missing or
  // misshapen, or the graph cannot be generated; HostCheckError with the
  // compiler's output when the build fails, or dlerror() when loading fails.
  CompiledGraph(const ir::Graph& integer_graph, const runtime::IntTensorMap& inputs, const CExecutorOptions& options = {});
  CompiledGraph(const CompiledGraph&) = delete;
  CompiledGraph& operator=(const CompiledGraph&) = delete;
  ~CompiledGraph();

  // One PREFIX_run on the stored inputs into the output buffers: nothing else
  // happens in the timed call.
  void run();
  // The outputs of the last run(), by tensor name, as codes.
  runtime::IntTensorMap outputs() const;
  // The compiler command that built it.
  const std::string& compiler() const { return compiler_; }
  // The temporary folder with the generated C and the shared object.
  const std::filesystem::path& folder() const { return work_.path(); }

 private:
  using CallFn = int (*)(void* const* inputs, void* const* outputs);

  struct Buffer {
    std::string name;
    ir::Shape shape;
    ir::ElementType type;
    std::vector<unsigned char> bytes;
  };

  std::string compiler_;
  WorkDir work_;  // declared before the handle: the folder outlives the dlopen
  void* handle_ = nullptr;
  CallFn call_ = nullptr;
  std::vector<Buffer> inputs_, outputs_;
  std::vector<void*> input_ptrs_, output_ptrs_;
};

// The callable c_executor() hands the profiler; a test reaches the compiled
// graph (and its outputs) through std::function::target<CGraphCall>().
struct CGraphCall {
  std::shared_ptr<CompiledGraph> graph;
  void operator()() const { graph->run(); }
};

// A hw::LayerExecutorFactory that compiles every graph it is given into a
// CompiledGraph (outside the timed calls).
hw::LayerExecutorFactory c_executor(const CExecutorOptions& options = {});

}  // namespace bitlab::codegen
