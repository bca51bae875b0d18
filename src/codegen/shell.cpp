#include "codegen/shell.h"

#include <array>
#include <cstdio>

#include <sys/wait.h>

namespace bitlab::codegen {

CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "could not start /bin/sh for: " + command};
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  if (status == -1) {
    r.status = -1;
  } else if (WIFEXITED(status)) {
    r.status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.status = 128 + WTERMSIG(status);
  } else {
    r.status = -1;
  }
  return r;
}

bool on_path(const std::string& command) {
  const std::string tool = command.substr(0, command.find(' '));
  return !tool.empty() && run_command("command -v " + shell_quote(tool) + " >/dev/null").status == 0;
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace bitlab::codegen
