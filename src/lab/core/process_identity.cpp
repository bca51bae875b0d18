#include "lab/core/process_identity.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

namespace bitlab::lab {
namespace {

struct ProcStat {
  char state = '?';
  int64_t start_ticks = 0;
};

// /proc/<pid>/stat: "pid (comm) state ppid ... starttime(22nd field) ...". comm
// may itself hold spaces and parentheses, so fields are counted after the last ')'.
bool read_proc_stat(int64_t pid, ProcStat& out) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return false;
  std::string line;
  std::getline(in, line);
  size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  for (int number = 3; fields >> field; ++number) {
    if (number == 3) out.state = field.empty() ? '?' : field[0];
    if (number == 22) {
      out.start_ticks = std::stoll(field);
      return true;
    }
  }
  return false;
}

}  // namespace

ProcessIdentity ProcessIdentity::current() {
  ProcessIdentity self;
  self.pid = static_cast<int64_t>(::getpid());
  ProcStat stat;
  if (read_proc_stat(self.pid, stat)) self.start_ticks = stat.start_ticks;
  return self;
}

bool ProcessIdentity::alive() const {
  ProcStat stat;
  if (read_proc_stat(pid, stat)) {
    if (stat.state == 'Z' || stat.state == 'X') return false;  // exited, not yet reaped
    return start_ticks == 0 || stat.start_ticks == start_ticks;
  }
  if (start_ticks != 0) return false;  // it had a /proc entry when it claimed; now it has none
  // No /proc: a signal-0 probe says whether the pid exists (EPERM: it does, owned by someone else).
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace bitlab::lab
