#pragma once
// The host C compiler and the throw-away folders its work goes into, shared by
// the host check (host_check.h) and the C layer executor (layer_executor.h) so
// both resolve the compiler, compile generated code and report failures alike.
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bitlab::codegen {

// Flags every generated net.c / net_weights.c is built with on the host
// (-fno-strict-aliasing: the arena is shared by types).
inline constexpr std::string_view kHostCFlags = "-std=c99 -O2 -fno-strict-aliasing";

// The generated code (or what was built around it) did not compile, or the
// program failed: the message names the compiler and holds its output.
class HostCheckError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `requested` if given, else $CC if set, else `cc`. Throws ConfigError
// (starting with `who`, naming the command, $CC and the Debian fix) when that
// command is not on PATH.
std::string resolve_host_compiler(const std::string& requested, std::string_view who);

// Runs a compiler command; throws HostCheckError (starting with `who`, naming
// the compiler, what was compiled, the command and the compiler's output)
// when it fails.
void run_compiler(std::string_view who, const std::string& compiler, const std::string& what, const std::string& command);

// A work folder: `requested` as given (created, kept), or, when empty, a fresh
// folder under the system temp directory named after `stem`, the process and a
// counter, removed with everything in it when this object goes away.
class WorkDir {
 public:
  WorkDir(const std::filesystem::path& requested, std::string_view stem);
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  ~WorkDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  bool temporary_;
  std::filesystem::path path_;
};

}  // namespace bitlab::codegen
