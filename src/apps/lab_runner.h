#pragma once
// `bitlab lab run DESIGN.json`: expands the design, registers its runs in the
// results store and trains them in worker processes (fork/exec of this binary
// as `bitlab lab worker`), printing one line per finished run. Rerunning after
// a kill trains only what is missing: done runs are skipped, a killed worker's
// run is claimed again and resumes from its last finished epoch.
#include <filesystem>
#include <optional>

#include "lab/core/shard.h"

namespace bitlab::apps {

struct LabRunOptions {
  std::filesystem::path design;
  std::optional<std::filesystem::path> store;  // default: runs/<design name>/results.db
  int workers = 1;
  lab::Shard shard;
  bool retry_failed = false;  // failed runs are pending again first
};

// 0 when every run of the shard is done; 1 when some failed (or a worker died).
int run_lab_design(const LabRunOptions& options);

// The store a design uses without --store.
std::filesystem::path default_store(const std::string& design_name);

}  // namespace bitlab::apps
