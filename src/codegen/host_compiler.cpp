#include "codegen/host_compiler.h"

#include <atomic>
#include <cstdlib>

#include <fmt/format.h>
#include <unistd.h>  // getpid

#include "codegen/shell.h"
#include "common/error.h"

namespace bitlab::codegen {

namespace fs = std::filesystem;

std::string resolve_host_compiler(const std::string& requested, std::string_view who) {
  const char* cc = std::getenv("CC");
  const bool cc_set = cc != nullptr && *cc != '\0';
  const std::string compiler = !requested.empty() ? requested : cc_set ? std::string(cc) : std::string("cc");
  if (!on_path(compiler)) {
    throw ConfigError(fmt::format("{}: C compiler `{}` not found ($CC is {}); install one (Debian: apt install gcc) "
                                  "or name it with CC=...",
                                  who, compiler, cc_set ? fmt::format("\"{}\"", cc) : std::string("unset")));
  }
  return compiler;
}

void run_compiler(std::string_view who, const std::string& compiler, const std::string& what, const std::string& command) {
  const CommandResult r = run_command(command);
  if (r.status != 0) {
    throw HostCheckError(fmt::format("{}: C compiler `{}` failed on {} (exit {}):\n{}\ncommand: {}", who, compiler, what,
                                     r.status, r.output, command));
  }
}

WorkDir::WorkDir(const fs::path& requested, std::string_view stem) : temporary_(requested.empty()) {
  static std::atomic<int> counter{0};
  path_ = temporary_ ? fs::temp_directory_path() / fmt::format("{}_{}_{}", stem, ::getpid(), counter++) : requested;
  if (temporary_) fs::remove_all(path_);
  fs::create_directories(path_);
}

WorkDir::~WorkDir() {
  std::error_code ignored;
  if (temporary_) fs::remove_all(path_, ignored);
}

}  // namespace bitlab::codegen
