#include "apps/lab_worker.h"

#include <torch/torch.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <nlohmann/json.hpp>

#include "lab/core/results_store.h"
#include "lab/run_job.h"

namespace bitlab::apps {
namespace {

// Writes one line in a single write(): the parent's pipe is shared by all
// workers, and writes of at most PIPE_BUF bytes never interleave.
void report(int fd, nlohmann::json event) {
  std::string line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (line.size() > 4000) {  // PIPE_BUF is 4096 on Linux; only a huge error text gets here
    event["error"] = event.value("error", "").substr(0, 1000);
    line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  if (fd < 0) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
    return;
  }
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent is gone; the store still has the result
    data += n;
    left -= static_cast<size_t>(n);
  }
}

std::string error_text(const std::exception& e) {
  // LibTorch errors carry a C++ backtrace in what(); the store keeps the message.
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) return c10_error->what_without_backtrace();
  return e.what();
}

}  // namespace

int run_lab_worker(const LabWorkerOptions& options) {
  // One thread per worker: N workers use N cores without oversubscribing them,
  // and a run's result does not depend on how many threads happened to be free.
  torch::set_num_threads(1);
  lab::ResultsStore store(options.store);
  lab::RunJobOptions job;
  job.runs_dir = options.runs_dir;
  job.source = options.store.string();
  while (auto record = store.claim_next_pending(options.shard)) {
    const lab::Run& run = record->run;
    try {
      lab::RunResults results = lab::run_design_run(run, job);
      store.mark_done(run.id, results);
      nlohmann::json event = {{"event", "done"}, {"run", run.id}, {"attempt", record->attempts}};
      for (const char* name : {"test_accuracy", "validation_accuracy", "train_seconds"}) {
        auto it = results.metrics.find(name);
        if (it != results.metrics.end()) event[name] = it->second;
      }
      report(options.report_fd, event);
    } catch (const std::exception& e) {
      std::string error = error_text(e);
      store.mark_failed(run.id, error);
      report(options.report_fd, {{"event", "failed"}, {"run", run.id}, {"error", error}});
    }
  }
  return 0;
}

}  // namespace bitlab::apps
