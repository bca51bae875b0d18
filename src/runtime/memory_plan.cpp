#include "runtime/memory_plan.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

namespace bitlab::runtime {
namespace {

bool lifetimes_overlap(const BufferRequest& a, const BufferRequest& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

std::int64_t align_up(std::int64_t value, std::int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

void check(const std::vector<BufferRequest>& requests, const PlannerOptions& options) {
  if (options.alignment < 1) throw std::invalid_argument(fmt::format("planner alignment {} must be ≥ 1", options.alignment));
  for (const BufferRequest& r : requests) {
    if (r.bytes < 0 || r.first_step < 0 || r.last_step < r.first_step) {
      throw std::invalid_argument(fmt::format("buffer \"{}\": {} bytes over steps [{}, {}] is not a valid request",
                                              r.name, r.bytes, r.first_step, r.last_step));
    }
  }
}

}  // namespace

std::vector<std::int64_t> live_bytes_per_step(const std::vector<BufferRequest>& requests, int num_steps) {
  std::vector<std::int64_t> live(static_cast<std::size_t>(std::max(num_steps, 0)), 0);
  for (const BufferRequest& r : requests) {
    for (int s = r.first_step; s <= r.last_step && s < num_steps; ++s) live[static_cast<std::size_t>(s)] += r.bytes;
  }
  return live;
}

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, const PlannerOptions& options) {
  check(requests, options);
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  int num_steps = 0;
  for (const BufferRequest& r : requests) num_steps = std::max(num_steps, r.last_step + 1);
  const std::vector<std::int64_t> live = live_bytes_per_step(requests, num_steps);
  plan.peak_live_bytes = live.empty() ? 0 : *std::max_element(live.begin(), live.end());

  // Largest first; ties by earlier start, then request order, so plans are reproducible.
  std::vector<std::size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first_step < requests[b].first_step;
  });

  std::vector<std::size_t> placed;
  for (const std::size_t index : order) {
    const BufferRequest& r = requests[index];
    // Placed buffers alive at the same time, by offset: the gaps between them are candidates.
    std::vector<std::size_t> conflicts;
    for (const std::size_t p : placed)
      if (lifetimes_overlap(r, requests[p])) conflicts.push_back(p);
    std::sort(conflicts.begin(), conflicts.end(), [&](std::size_t a, std::size_t b) { return plan.offsets[a] < plan.offsets[b]; });

    std::int64_t best_offset = -1;
    std::int64_t best_gap = std::numeric_limits<std::int64_t>::max();
    std::int64_t cursor = 0;  // first free byte after the conflicts seen so far
    for (const std::size_t p : conflicts) {
      const std::int64_t start = align_up(cursor, options.alignment);
      const std::int64_t gap = plan.offsets[p] - start;
      if (gap >= r.bytes && gap < best_gap) {
        best_gap = gap;
        best_offset = start;
      }
      cursor = std::max(cursor, plan.offsets[p] + requests[p].bytes);
    }
    plan.offsets[index] = best_offset >= 0 ? best_offset : align_up(cursor, options.alignment);
    plan.arena_bytes = std::max(plan.arena_bytes, plan.offsets[index] + r.bytes);
    placed.push_back(index);
  }
  return plan;
}

}  // namespace bitlab::runtime
