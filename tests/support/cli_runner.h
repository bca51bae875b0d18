#pragma once
// Runs the real bitlab binary as a user would, for the end-to-end CLI tests.
// The test target defines BITLAB_BINARY (the binary's path) and depends on bitlab.
#include <sys/wait.h>

#include <cstdio>
#include <string>

#ifndef BITLAB_BINARY
#error "cli_runner.h needs BITLAB_BINARY: target_compile_definitions(... BITLAB_BINARY=\"$<TARGET_FILE:bitlab>\")"
#endif

namespace bitlab::testing {

struct CliResult {
  int status = -1;     // exit code; -1 when bitlab did not exit normally (killed by a signal)
  std::string output;  // stdout and stderr together
};

// `bitlab <args> 2>&1` through the shell: args are a command line, quoted as the shell needs.
inline CliResult run_bitlab(const std::string& args) {
  const std::string command = std::string(BITLAB_BINARY) + " " + args + " 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed: " + command};
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace bitlab::testing
