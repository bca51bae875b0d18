#pragma once
// Running the C toolchain and the programs it builds through /bin/sh: shared
// by the host check (host_check.h) and the cross-target tests.
#include <string>

namespace bitlab::codegen {

struct CommandResult {
  int status = 0;      // exit status; 128 + signal number when killed by a signal; -1 if it could not start
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh, capturing stdout and stderr.
CommandResult run_command(const std::string& command);

// True when the first word of `command` names an executable (on PATH or a path).
bool on_path(const std::string& command);

// `text` in single quotes for /bin/sh (paths with spaces or quotes stay one word).
std::string shell_quote(const std::string& text);

}  // namespace bitlab::codegen
