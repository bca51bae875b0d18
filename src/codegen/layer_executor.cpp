#include "codegen/layer_executor.h"

#include <atomic>
#include <cstdint>
#include <cstring>

#include <dlfcn.h>
#include <fmt/format.h>

#include "codegen/c_types.h"
#include "codegen/codegen.h"
#include "codegen/shell.h"
#include "common/atomic_file.h"
#include "common/error.h"

namespace bitlab::codegen {
namespace {

namespace fs = std::filesystem;

// Unique within the process, so no two loaded graphs export the same symbol
// even if a loader were to merge their scopes (RTLD_LOCAL already keeps them apart).
std::string unique_prefix() {
  static std::atomic<int> counter{0};
  return fmt::format("bl_prof{}", counter++);
}

// PREFIX_call(in[], out[]): PREFIX_run's arity depends on the graph, so a
// fixed-signature shim is compiled beside it and looked up instead.
std::string call_shim_source(const ir::Graph& graph, const std::string& prefix) {
  std::string args;
  for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
    args += fmt::format("{}(const {}*)in[{}]", i ? ", " : "", c_type(graph.tensor(graph.inputs[i]).type), i);
  }
  for (std::size_t i = 0; i < graph.outputs.size(); ++i) {
    args += fmt::format(", ({}*)out[{}]", c_type(graph.tensor(graph.outputs[i]).type), i);
  }
  return fmt::format(
      "/* bitlab hw profile --executor c: a fixed-signature entry into {p}_run. */\n"
      "#include <stdint.h>\n#include \"{p}.h\"\n"
      "int {p}_call(void* const* in, void* const* out) {{ return {p}_run({args}); }}\n",
      fmt::arg("p", prefix), fmt::arg("args", args));
}

// Stores each code as the C type c_type() gives its element type.
template <typename T>
void encode_as(const std::vector<std::int64_t>& values, std::vector<unsigned char>& bytes) {
  bytes.resize(values.size() * sizeof(T));
  for (std::size_t i = 0; i < values.size(); ++i) {
    const T v = static_cast<T>(values[i]);
    std::memcpy(bytes.data() + i * sizeof(T), &v, sizeof(T));
  }
}

template <typename T>
std::vector<std::int64_t> decode_as(const std::vector<unsigned char>& bytes) {
  std::vector<std::int64_t> values(bytes.size() / sizeof(T));
  for (std::size_t i = 0; i < values.size(); ++i) {
    T v;
    std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
    values[i] = static_cast<std::int64_t>(v);
  }
  return values;
}

// c_type(): up to 16 bits keep the type's signedness, wider types are signed.
void encode(const ir::ElementType& type, const std::vector<std::int64_t>& values, std::vector<unsigned char>& bytes) {
  switch (c_size(type)) {
    case 1: return type.is_signed ? encode_as<std::int8_t>(values, bytes) : encode_as<std::uint8_t>(values, bytes);
    case 2: return type.is_signed ? encode_as<std::int16_t>(values, bytes) : encode_as<std::uint16_t>(values, bytes);
    case 4: return encode_as<std::int32_t>(values, bytes);
    default: return encode_as<std::int64_t>(values, bytes);
  }
}

std::vector<std::int64_t> decode(const ir::ElementType& type, const std::vector<unsigned char>& bytes) {
  switch (c_size(type)) {
    case 1: return type.is_signed ? decode_as<std::int8_t>(bytes) : decode_as<std::uint8_t>(bytes);
    case 2: return type.is_signed ? decode_as<std::int16_t>(bytes) : decode_as<std::uint16_t>(bytes);
    case 4: return decode_as<std::int32_t>(bytes);
    default: return decode_as<std::int64_t>(bytes);
  }
}

}  // namespace

CompiledGraph::CompiledGraph(const ir::Graph& graph, const runtime::IntTensorMap& inputs, const CExecutorOptions& options)
    : compiler_(resolve_host_compiler(options.compiler, fmt::format("c-host executor, graph \"{}\"", graph.name))),
      work_({}, "bitlab_c_executor") {
  const std::string who = fmt::format("c-host executor, graph \"{}\"", graph.name);
  for (const std::string& name : graph.inputs) {
    const ir::Tensor& t = graph.tensor(name);
    const auto it = inputs.find(name);
    if (it == inputs.end()) throw ConfigError(fmt::format("{}: no codes given for input \"{}\"", who, name));
    if (static_cast<std::int64_t>(it->second.values.size()) != ir::num_elements(t.shape)) {
      throw ConfigError(fmt::format("{}: input \"{}\" has {} values, the graph wants {}", who, name,
                                    it->second.values.size(), ir::num_elements(t.shape)));
    }
    Buffer& b = inputs_.emplace_back(Buffer{name, t.shape, t.type, {}});
    encode(t.type, it->second.values, b.bytes);
  }
  for (const std::string& name : graph.outputs) {
    const ir::Tensor& t = graph.tensor(name);
    Buffer& b = outputs_.emplace_back(Buffer{name, t.shape, t.type, {}});
    b.bytes.assign(static_cast<std::size_t>(ir::num_elements(t.shape) * c_size(t.type)), 0);
  }
  for (Buffer& b : inputs_) input_ptrs_.push_back(b.bytes.data());
  for (Buffer& b : outputs_) output_ptrs_.push_back(b.bytes.data());

  const std::string prefix = unique_prefix();
  const fs::path gen = work_.path() / "c";
  generate(graph, {.target = Target::Host, .prefix = prefix}, gen);
  write_file_atomically(work_.path() / "call.c", call_shim_source(graph, prefix));
  const fs::path so = work_.path() / (prefix + ".so");
  const std::string g = shell_quote(gen.string()), w = shell_quote(work_.path().string());
  run_compiler(who, compiler_, fmt::format("{}/{}.c, {}_weights.c and the call shim", gen.string(), prefix, prefix),
               fmt::format("{} {} {} -fPIC -shared -I {} -o {} {}/{}.c {}/{}_weights.c {}/call.c", compiler_, options.cflags,
                           options.extra_flags, g, shell_quote(so.string()), g, prefix, g, prefix, w));

  handle_ = ::dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    throw HostCheckError(fmt::format("{}: cannot load {} built by `{}`: {}", who, so.string(), compiler_, ::dlerror()));
  }
  const std::string symbol = prefix + "_call";
  call_ = reinterpret_cast<CallFn>(::dlsym(handle_, symbol.c_str()));
  if (call_ == nullptr) {
    ::dlclose(handle_);
    throw HostCheckError(fmt::format("{}: {} has no symbol {}", who, so.string(), symbol));
  }
}

CompiledGraph::~CompiledGraph() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

void CompiledGraph::run() { (void)call_(input_ptrs_.data(), output_ptrs_.data()); }

runtime::IntTensorMap CompiledGraph::outputs() const {
  runtime::IntTensorMap out;
  for (const Buffer& b : outputs_) out.emplace(b.name, runtime::IntTensor{b.shape, decode(b.type, b.bytes)});
  return out;
}

hw::LayerExecutorFactory c_executor(const CExecutorOptions& options) {
  return [options](const ir::Graph& graph, const runtime::IntTensorMap& inputs) -> std::function<void()> {
    return CGraphCall{std::make_shared<CompiledGraph>(graph, inputs, options)};
  };
}

}  // namespace bitlab::codegen
