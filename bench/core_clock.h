#pragma once
// The core clock measured in-process, for MAC/cycle counters (bench_runtime,
// bench_layer_graphs → bench/peer/layers.sh). Timed in thread CPU time, so
// neither the TSC's nominal rate nor other jobs' time on a shared machine
// enters the cycle count.
#include <algorithm>
#include <cstdint>
#include <ctime>

namespace bitlab::bench {

inline double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Core cycles per second of thread CPU time: n·16 dependent `add $1` (latency 1 cycle on
// every x86 core since the P6), so the chain's length is its cycle count. Best of 5 runs.
inline double measure_core_hz() {
#if defined(__x86_64__)
  constexpr std::int64_t n = 4'000'000;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    std::int64_t x = 0;
    const double t0 = thread_seconds();
    for (std::int64_t i = 0; i < n; ++i)
      __asm__ volatile(
          "add $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\t"
          "add $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0"
          : "+r"(x));
    best = std::max(best, 16.0 * static_cast<double>(n) / (thread_seconds() - t0));
  }
  return best;
#else
  return 3.46e9;
#endif
}

// Measured once per process.
inline double core_hz() {
  static const double hz = measure_core_hz();
  return hz;
}

}  // namespace bitlab::bench
