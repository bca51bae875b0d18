#pragma once
// Static placement of activation buffers in one arena: the planner of the fast
// executor (runtime/executor.h), of hw's memory cost model and of the generated C arena
// (docs/cost-models.md §4.2). Buffers live over an inclusive range of steps
// (node indices in topological order); two buffers may share addresses only
// when their lifetimes do not overlap. Offsets follow TFLite's "greedy by
// size" strategy (Pisarchyk & Lee, "Efficient Memory Management for Deep
// Neural Net Inference", 2020): largest buffer first, each into the smallest
// gap among the already placed, time-overlapping buffers that fits it.
#include <cstdint>
#include <string>
#include <vector>

namespace bitlab::runtime {

struct BufferRequest {
  std::string name;
  std::int64_t bytes = 0;
  int first_step = 0;  // written at this step
  int last_step = 0;   // last read at this step (inclusive)
};

struct PlannerOptions {
  std::int64_t alignment = 1;  // every offset is a multiple of this (bytes, ≥ 1)
};

struct MemoryPlan {
  std::vector<std::int64_t> offsets;  // one per request, in request order
  std::int64_t arena_bytes = 0;       // max over buffers of offset + bytes
  // Max over steps of the bytes live at that step: a lower bound on any
  // plan's arena; greedy by size usually meets it or comes close.
  std::int64_t peak_live_bytes = 0;
};

// Throws std::invalid_argument for negative sizes, inverted lifetimes or alignment < 1.
MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, const PlannerOptions& options = {});

// Bytes live at each step 0..num_steps-1.
std::vector<std::int64_t> live_bytes_per_step(const std::vector<BufferRequest>& requests, int num_steps);

}  // namespace bitlab::runtime
