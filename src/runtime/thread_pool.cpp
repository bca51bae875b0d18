#include "runtime/thread_pool.h"

#include <chrono>
#include <stdexcept>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace bitlab::runtime {
namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int threads, int spin_us) : spin_us_(spin_us) {
  if (threads < 1) throw std::invalid_argument("ThreadPool: threads must be ≥ 1");
  workers_.reserve(static_cast<std::size_t>(threads - 1));
  for (int t = 1; t < threads; ++t) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  start_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::drain(const Job& job) {
  std::uint64_t t = ticket_.load(std::memory_order_acquire);
  for (;;) {
    const auto index = static_cast<std::uint32_t>(t);
    if (t >> 32 != job.generation || index >= job.count) return;
    if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    job.task(job.context, index);
    // Release: the task's writes happen before the caller sees the count complete.
    if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == job.count) finished_.notify_one();
    t = ticket_.load(std::memory_order_acquire);
  }
}

void ThreadPool::wake() {
  if (workers_.empty()) return;
  {
    const std::lock_guard lock(mutex_);
    ++wakes_;
  }
  start_.notify_all();
}

void ThreadPool::run(Task task, const void* context, std::size_t count) {
  if (workers_.empty() || count <= 1) {
    for (std::size_t i = 0; i < count; ++i) task(context, i);
    return;
  }
  Job job;
  {
    const std::lock_guard lock(mutex_);
    job = {job_.generation + 1, task, context, static_cast<std::uint32_t>(count)};
    job_ = job;
    finished_.store(0, std::memory_order_relaxed);
    ticket_.store(std::uint64_t{job.generation} << 32, std::memory_order_release);
    published_.store(job.generation, std::memory_order_release);
  }
  start_.notify_all();  // no system call when every worker is spinning
  drain(job);
  for (std::uint32_t done = finished_.load(std::memory_order_acquire); done != job.count;
       done = finished_.load(std::memory_order_acquire))
    finished_.wait(done, std::memory_order_acquire);
}

void ThreadPool::work() {
  std::uint32_t seen = 0, seen_wakes = 0;
  for (;;) {
    // Spin for the next job a little before sleeping (see the header).
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us_);
    // Yielding every few polls hands the core back when it is shared (with the caller or
    // with another process), where pure spinning would slow the caller down.
    for (int i = 0; published_.load(std::memory_order_acquire) == seen; ++i) {
      cpu_relax();
      if (i % 16 == 15) {
        std::this_thread::yield();
        if (std::chrono::steady_clock::now() >= until) break;
      }
    }
    Job job;
    {
      std::unique_lock lock(mutex_);
      start_.wait(lock, [&] { return stop_ || job_.generation != seen || wakes_ != seen_wakes; });
      if (stop_) return;
      seen_wakes = wakes_;
      if (job_.generation == seen) continue;  // woken by wake(): spin
      job = job_;
      seen = job.generation;
    }
    drain(job);
  }
}

}  // namespace bitlab::runtime
