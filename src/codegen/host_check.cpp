#include "codegen/host_check.h"

#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "codegen/c_types.h"
#include "codegen/host_compiler.h"
#include "codegen/shell.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/progress.h"
#include "runtime/reference.h"

namespace bitlab::codegen {
namespace {

namespace fs = std::filesystem;

void check_inputs(const ir::Graph& graph, const std::vector<runtime::IntTensorMap>& inputs) {
  for (std::size_t s = 0; s < inputs.size(); ++s) {
    for (const std::string& name : graph.inputs) {
      const ir::Tensor& t = graph.tensor(name);
      const auto it = inputs[s].find(name);
      if (it == inputs[s].end()) {
        throw ConfigError(fmt::format("host check: input sample {} has no tensor \"{}\" (graph \"{}\" input)", s, name,
                                      graph.name));
      }
      if (static_cast<std::int64_t>(it->second.values.size()) != ir::num_elements(t.shape)) {
        throw ConfigError(fmt::format("host check: input sample {}, tensor \"{}\": {} values, the graph wants {}", s,
                                      name, it->second.values.size(), ir::num_elements(t.shape)));
      }
    }
  }
}

std::string input_text(const ir::Graph& graph, const std::vector<runtime::IntTensorMap>& inputs) {
  std::string text;
  for (const runtime::IntTensorMap& sample : inputs) {
    for (const std::string& name : graph.inputs) {
      for (const std::int64_t v : sample.at(name).values) text += fmt::format("{} ", v);
      text += '\n';
    }
  }
  return text;
}

void build(const std::string& compiler, const std::string& what, const std::string& command) {
  run_compiler("host check", compiler, what, command);
}

std::vector<std::int64_t> parse_numbers(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::int64_t> v;
  for (std::int64_t x = 0; in >> x;) v.push_back(x);
  return v;
}

// "" when equal, else where the first difference is.
std::string compare(const std::vector<std::int64_t>& got, const std::vector<std::int64_t>& want) {
  if (got.size() != want.size()) {
    return fmt::format("the C program printed {} values, the integer runtime gives {}", got.size(), want.size());
  }
  std::size_t differ = 0, first = 0;
  for (std::size_t i = got.size(); i-- > 0;) {
    if (got[i] != want[i]) {
      ++differ;
      first = i;
    }
  }
  if (differ == 0) return {};
  return fmt::format("{} of {} elements differ, first at element {}: C {}, integer runtime {}", differ, got.size(),
                     first, got[first], want[first]);
}

}  // namespace

std::vector<runtime::IntTensorMap> random_input_codes(const ir::Graph& graph, int count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<runtime::IntTensorMap> samples(static_cast<std::size_t>(std::max(count, 0)));
  for (runtime::IntTensorMap& sample : samples) {
    for (const std::string& name : graph.inputs) {
      const ir::Tensor& t = graph.tensor(name);
      std::uniform_int_distribution<std::int64_t> code(t.type.min_value(), t.type.max_value());
      runtime::IntTensor& x = sample[name];
      x.shape = t.shape;
      x.values.resize(static_cast<std::size_t>(ir::num_elements(t.shape)));
      for (std::int64_t& v : x.values) v = code(rng);
    }
  }
  return samples;
}

std::string host_main_source(const ir::Graph& graph, const std::string& prefix) {
  std::string buffers, reads, args, prints;
  for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
    const ir::Tensor& t = graph.tensor(graph.inputs[i]);
    const std::int64_t n = ir::num_elements(t.shape);
    buffers += fmt::format("static {} in{}[{}];\n", c_type(t.type), i, n);
    reads += fmt::format("    for (i = 0; i < {n}; ++i) {{\n      if (scanf(\"%lld\", &v) != 1) return {end};\n"
                         "      in{k}[i] = ({type})v;\n    }}\n",
                         fmt::arg("n", n), fmt::arg("end", i == 0 ? "i == 0 ? 0 : 1" : "1"), fmt::arg("k", i),
                         fmt::arg("type", c_type(t.type)));
    args += fmt::format("{}in{}", args.empty() ? "" : ", ", i);
  }
  for (std::size_t i = 0; i < graph.outputs.size(); ++i) {
    const ir::Tensor& t = graph.tensor(graph.outputs[i]);
    const std::int64_t n = ir::num_elements(t.shape);
    buffers += fmt::format("static {} out{}[{}];\n", c_type(t.type), i, n);
    args += fmt::format(", out{}", i);
    prints += fmt::format("    for (i = 0; i < {}; ++i) printf(\"%lld \", (long long)out{}[i]);\n    printf(\"\\n\");\n",
                          n, i);
  }
  // Exit 0 at the end of stdin before a sample starts, 1 on a truncated sample.
  return fmt::format(
      "/* Host check harness (bitlab codegen --check): per run, reads every input's codes\n"
      "   from stdin in graph order, runs {p}_run and prints one line per output. */\n"
      "#include <stdio.h>\n#include \"{p}.h\"\n{buffers}"
      "int main(void) {{\n  long long v;\n  long i;\n  for (;;) {{\n{reads}"
      "    {p}_run({args});\n{prints}  }}\n}}\n",
      fmt::arg("p", prefix), fmt::arg("buffers", buffers), fmt::arg("reads", reads), fmt::arg("args", args),
      fmt::arg("prints", prints));
}

HostCheckResult check_on_host(const ir::Graph& graph, const fs::path& generated_dir, const HostCheckOptions& options) {
  HostCheckResult result;
  result.compiler = resolve_host_compiler(options.compiler, "host check");
  const std::string p = options.prefix;
  for (const std::string& file : {p + ".h", p + ".c", p + "_weights.c"}) {
    if (!fs::exists(generated_dir / file)) {
      throw ConfigError(fmt::format("host check: {} is missing; generate it first (bitlab codegen ... --prefix {})",
                                    (generated_dir / file).string(), p));
    }
  }
  const std::vector<runtime::IntTensorMap> inputs =
      options.inputs.empty() ? random_input_codes(graph, options.samples, options.seed) : options.inputs;
  check_inputs(graph, inputs);

  const WorkDir work(options.work_dir, "bitlab_host_check");
  const std::string w = shell_quote(work.path().string()), gen = shell_quote(fs::absolute(generated_dir).string());
  const std::string& cc = result.compiler;
  write_file_atomically(work.path() / "main.c", host_main_source(graph, p));
  write_file_atomically(work.path() / "inputs.txt", input_text(graph, inputs));
  for (const std::string& unit : {p, p + "_weights"}) {
    build(cc, (generated_dir / (unit + ".c")).string(),
          fmt::format("{} {} {} -c {}/{}.c -o {}/{}.o", cc, options.cflags, options.extra_flags, gen, unit, w, unit));
  }
  build(cc, "the harness main.c", fmt::format("{} -std=c99 -O2 {} -I {} -c {}/main.c -o {}/main.o", cc,
                                              options.extra_flags, gen, w, w));
  build(cc, "linking", fmt::format("{} {} -o {}/prog {}/main.o {}/{}.o {}/{}_weights.o", cc, options.extra_flags, w, w,
                                   w, p, w, p));
  const CommandResult ran = run_command(fmt::format("cd {} && ./prog < inputs.txt > outputs.txt", w));
  if (ran.status != 0) {
    throw HostCheckError(fmt::format("host check: the program built by `{}` from {} failed (exit {}):\n{}", cc,
                                     generated_dir.string(), ran.status, ran.output));
  }

  std::ifstream printed(work.path() / "outputs.txt");
  ProgressBar bar(static_cast<std::int64_t>(inputs.size()),
                  {.label = "host check", .unit = "input", .enabled = options.progress});
  std::string line;
  for (std::size_t s = 0; s < inputs.size(); ++s) {
    const runtime::IntTensorMap want = runtime::run_reference(graph, inputs[s]);
    bool equal = true;
    for (const std::string& name : graph.outputs) {
      if (!std::getline(printed, line)) {
        throw HostCheckError(fmt::format("host check: the program built from {} stopped after {} of {} samples",
                                         generated_dir.string(), s, inputs.size()));
      }
      const std::string diff = compare(parse_numbers(line), want.at(name).values);
      if (!diff.empty() && equal && result.first_mismatch.empty()) {
        result.first_mismatch = fmt::format("sample {}, output \"{}\": {}", s, name, diff);
      }
      equal = equal && diff.empty();
    }
    ++result.samples_checked;
    if (equal) ++result.samples_equal;
    bar.update(static_cast<std::int64_t>(s + 1));
  }
  bar.finish(fmt::format("{}/{} equal", result.samples_equal, result.samples_checked));
  return result;
}

}  // namespace bitlab::codegen
