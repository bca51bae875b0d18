#pragma once
// A small persistent pool for the fast executor's optional threads
// (ExecutorOptions::threads, docs/runtime.md "Threads"). The workers are
// started once, in the constructor, so that Executor::run() allocates nothing:
// a job is a plain function pointer and a context pointer (no std::function,
// no per-call captures). Its tasks are claimed one by one from an atomic
// ticket by the calling thread and the workers alike, and the job ends when
// every task has finished, not when every worker has checked in: on a shared
// machine a worker that is not scheduled in time costs nothing but its share
// of the work, which the caller then does itself. After a job a worker
// spins for a short window (spin_us) before it sleeps on a condition
// variable: the executor's split steps come a few microseconds apart, and
// waking a sleeping thread costs tens to hundreds of microseconds on a
// virtual machine (an idle vCPU has to be scheduled again), more than a
// small layer takes. The window bounds what an idle pool takes from the
// machine's other users.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace bitlab::runtime {

class ThreadPool {
 public:
  using Task = void (*)(const void* context, std::size_t index);

  // `threads` ≥ 1 participants in every job: the caller and threads − 1 workers.
  explicit ThreadPool(int threads, int spin_us = 100);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  [[nodiscard]] int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls task(context, i) once for every i < count (count < 2^32), spread over
  // the participants, and returns when all calls have returned. Allocates
  // nothing. task must not throw. One job at a time, from one thread.
  void run(Task task, const void* context, std::size_t count);
  // Wakes the sleeping workers into their spin window, so that a job that
  // follows soon (the first split step of Executor::run) finds them awake.
  void wake();

 private:
  struct Job {
    std::uint32_t generation = 0;
    Task task = nullptr;
    const void* context = nullptr;
    std::uint32_t count = 0;
  };
  void work();
  void drain(const Job& job);

  std::mutex mutex_;
  std::condition_variable start_;
  Job job_;            // the current job, under mutex_
  bool stop_ = false;  // under mutex_
  std::uint32_t wakes_ = 0;  // under mutex_: bumped by wake()
  int spin_us_ = 0;
  std::atomic<std::uint32_t> published_{0};  // job_.generation, readable without the lock
  // (generation << 32) | next task index: a claim succeeds only within its own job,
  // so a worker that wakes late can never run a task of the next one.
  std::atomic<std::uint64_t> ticket_{0};
  std::atomic<std::uint32_t> finished_{0};  // tasks of the current job that have returned
  std::vector<std::thread> workers_;
};

}  // namespace bitlab::runtime
