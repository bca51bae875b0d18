#pragma once
// Zoo networks as IR graphs with random weights, shared by `bitlab cost` and
// `bitlab zoo export`: the network built with the LibTorch initialisation
// under `seed`, quantised per a policy, its activation quantisers initialised
// from one random batch, then traced at batch 1.
#include <cstdint>
#include <string>

#include "ir/graph.h"
#include "train/policy.h"
#include "zoo/network_names.h"

namespace bitlab::apps {

// A policy file, or a shorthand such as "w4a8" (ConfigError naming the fix otherwise).
train::PrecisionPolicy read_policy(const std::string& text);

// The fake-quantised graph of `spec` (random weights; scales from one random batch).
ir::Graph trace_zoo(const zoo::NetworkSpec& spec, const train::PrecisionPolicy& policy, std::uint64_t seed = 0);

}  // namespace bitlab::apps
