#pragma once
// Who claimed a run, precisely enough to tell later whether that process is
// still alive. A pid alone is not enough (pids are reused after a reboot or a
// wrap-around), so the process's start time (Linux /proc/<pid>/stat) goes with it.
//
// Liveness only makes sense on one machine; that holds for the results store,
// because SQLite's WAL mode needs every connection on the same host anyway.
#include <cstdint>

namespace bitlab::lab {

struct ProcessIdentity {
  int64_t pid = 0;
  int64_t start_ticks = 0;  // clock ticks after boot; 0 where /proc is unavailable

  static ProcessIdentity current();
  // False once the process has exited (zombies included) or its pid belongs to
  // a process started at another time.
  bool alive() const;
  bool operator==(const ProcessIdentity&) const = default;
};

}  // namespace bitlab::lab
