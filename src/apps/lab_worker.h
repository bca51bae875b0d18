#pragma once
// `bitlab lab worker` (hidden): one worker process of `bitlab lab run`. It
// claims runs from the results store until none is left in its shard, trains
// each on one thread, records the results, and tells the parent about every
// finished run through a pipe (one JSON line per run).
#include <filesystem>
#include <string>

#include "lab/core/shard.h"

namespace bitlab::apps {

struct LabWorkerOptions {
  std::filesystem::path store;
  std::filesystem::path runs_dir;  // each run trains into runs_dir / run id
  lab::Shard shard;
  int report_fd = -1;  // the parent's pipe; -1: print the lines on stdout instead
};

// Returns 0 once the shard has no pending run left (failed runs included: they
// are recorded in the store, not fatal to the worker).
int run_lab_worker(const LabWorkerOptions& options);

}  // namespace bitlab::apps
