#pragma once
// The activation planner lives in the runtime (runtime/memory_plan.h), whose
// executor allocates its arena with it; hw's memory cost model reports the
// same plan, so it uses the runtime's planner under its own namespace.
#include "runtime/memory_plan.h"

namespace bitlab::hw {

using runtime::BufferRequest;
using runtime::live_bytes_per_step;
using runtime::MemoryPlan;
using runtime::plan_memory;
using runtime::PlannerOptions;

}  // namespace bitlab::hw
