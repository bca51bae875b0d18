#include "apps/lab_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/text.h"
#include "lab/core/design.h"
#include "lab/core/expand.h"
#include "lab/core/results_store.h"
#include "lab/train_config.h"

extern char** environ;

namespace bitlab::apps {
namespace {

std::filesystem::path own_executable() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) throw IoError(fmt::format("/proc/self/exe: cannot find the bitlab binary to start workers ({})", error.message()));
  return path;
}

// Everything a child needs is prepared before fork(): between fork and exec
// only async-signal-safe calls are allowed.
struct WorkerLaunch {
  std::vector<std::string> args;
  std::vector<std::string> env;
};

WorkerLaunch worker_launch(const LabRunOptions& options, const std::filesystem::path& store,
                           const std::filesystem::path& runs_dir, int report_fd) {
  WorkerLaunch launch;
  launch.args = {own_executable().string(), "lab",          "worker",
                 "--store",                  store.string(), "--runs-dir",
                 runs_dir.string(),          "--shard",      options.shard.to_string(),
                 "--report-fd",              std::to_string(report_fd)};
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    if (entry.rfind("OMP_NUM_THREADS=", 0) == 0 || entry.rfind("MKL_NUM_THREADS=", 0) == 0) continue;
    launch.env.push_back(entry);
  }
  // OpenMP sizes its pool from these before main() runs, so they are set here
  // as well as torch::set_num_threads(1) in the worker.
  launch.env.push_back("OMP_NUM_THREADS=1");
  launch.env.push_back("MKL_NUM_THREADS=1");
  return launch;
}

pid_t start_worker(const WorkerLaunch& launch, int report_fd) {
  std::vector<char*> argv, envp;
  for (const auto& a : launch.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : launch.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw IoError(fmt::format("cannot start a worker process: {}", std::strerror(errno)));
  if (pid == 0) {
    // A worker must not outlive `lab run` (e.g. killed with SIGKILL): its run
    // would keep training unobserved. The rerun claims it again instead.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::fcntl(report_fd, F_SETFD, 0);  // the pipe's write end survives exec
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

std::string percent(const nlohmann::json& event, const char* key) {
  if (!event.contains(key) || !event[key].is_number()) return "";
  return fmt::format(" {} {:.2f}%", key, 100 * event[key].get<double>());
}

// "[5/12] done bits=w4,algo=lsq/seed=2 test_accuracy 84.10% (31s) | 5 done, 0 failed, 7 left | 2m35s, ETA 3m40s"
class ProgressPrinter {
 public:
  ProgressPrinter(lab::ResultsStore& store, lab::Shard shard, size_t total)
      : store_(store), shard_(shard), total_(total), start_(std::chrono::steady_clock::now()) {}

  void on_event(const std::string& line) {
    nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
    if (event.is_discarded() || !event.is_object()) return;
    ++finished_here_;
    lab::StatusCounts counts = store_.counts(shard_);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    size_t left = counts.pending + counts.running;
    double eta = elapsed / static_cast<double>(finished_here_) * static_cast<double>(left);
    std::string what;
    if (event.value("event", "") == "done") {
      what = "done " + event.value("run", "?") + percent(event, "test_accuracy") +
             percent(event, "validation_accuracy");
      if (event.contains("train_seconds")) what += fmt::format(" ({})", format_duration(event["train_seconds"].get<double>()));
    } else {
      std::string error = event.value("error", "");
      what = "FAILED " + event.value("run", "?") + ": " + error.substr(0, error.find('\n'));
    }
    fmt::print("[{}/{}] {} | {} done, {} failed, {} left | {}, ETA {}\n", counts.done + counts.failed, total_, what,
               counts.done, counts.failed, left, format_duration(elapsed), left == 0 ? "0s" : format_duration(eta));
    std::fflush(stdout);
  }

 private:
  lab::ResultsStore& store_;
  lab::Shard shard_;
  size_t total_;
  size_t finished_here_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::filesystem::path default_store(const std::string& design_name) {
  return std::filesystem::path("runs") / design_name / "results.db";
}

int run_lab_design(const LabRunOptions& options) {
  if (options.workers < 1) throw ConfigError("--workers: expected at least 1 worker process");
  lab::Design design = lab::load_design(options.design);
  // Every run's config is checked before the first one trains: a typo in one
  // level would otherwise surface hours into the experiment.
  lab::ExpandOptions expand_options;
  expand_options.validate = [](const nlohmann::json& config) { lab::parse_train_config(config, "resolved config"); };
  std::vector<lab::Run> runs = lab::expand(design, expand_options);

  std::filesystem::path store_path = options.store.value_or(default_store(design.name));
  if (!store_path.parent_path().empty()) std::filesystem::create_directories(store_path.parent_path());
  // Runs train into the store's folder: results.db and the run folders stay together.
  std::filesystem::path runs_dir = store_path.parent_path().empty() ? "." : store_path.parent_path();

  lab::ResultsStore store(store_path);
  size_t added = store.add_runs(runs);
  if (options.retry_failed) store.reset_failed();
  lab::StatusCounts before = store.counts(options.shard);
  fmt::print("bitlab lab run: {} ({} runs, {} new; shard {}: {} runs, {} done, {} failed, {} to run) -> {}\n",
             design.name, runs.size(), added, options.shard.to_string(), before.total(), before.done, before.failed,
             before.pending + before.running, store_path.string());
  std::fflush(stdout);
  size_t to_run = before.pending + before.running;
  if (to_run == 0) {
    if (before.failed > 0) {
      fmt::print("{} runs failed earlier; see `bitlab lab status --store {}`, rerun with --retry-failed\n",
                 before.failed, store_path.string());
      return 1;
    }
    return 0;
  }

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw IoError(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  WorkerLaunch launch = worker_launch(options, store_path, runs_dir, fds[1]);
  size_t worker_count = std::min<size_t>(static_cast<size_t>(options.workers), to_run);
  std::vector<pid_t> workers;
  for (size_t i = 0; i < worker_count; ++i) workers.push_back(start_worker(launch, fds[1]));
  ::close(fds[1]);  // EOF on the read end once every worker has exited

  ProgressPrinter printer(store, options.shard, before.total());
  std::FILE* events = ::fdopen(fds[0], "r");
  char* line = nullptr;
  size_t capacity = 0;
  while (::getline(&line, &capacity, events) > 0) printer.on_event(line);
  std::free(line);
  std::fclose(events);

  int status_code = 0;
  for (pid_t pid : workers) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      fmt::print(stderr, "worker {} {}; its run is claimed again by the next `bitlab lab run`\n", pid,
                 describe_exit(status));
      status_code = 1;
    }
  }
  lab::StatusCounts after = store.counts(options.shard);
  fmt::print("finished: {} done, {} failed, {} pending of {} runs in shard {}; report: bitlab lab report --store {}\n",
             after.done, after.failed, after.pending + after.running, after.total(), options.shard.to_string(),
             store_path.string());
  if (after.failed > 0) {
    fmt::print("{} runs failed; `bitlab lab status --store {}` lists their errors, --retry-failed reruns them\n",
               after.failed, store_path.string());
    status_code = 1;
  }
  return status_code;
}

}  // namespace bitlab::apps
