#pragma once
// How IR element types and values are spelled in the generated C.
#include <cstdint>
#include <string>

#include "ir/types.h"

namespace bitlab::codegen {

// Activations are stored one per C integer: codes of ≤ 8 bits in (u)int8_t,
// ≤ 16 bits in (u)int16_t, accumulators in int32_t / int64_t. Only constant
// weights are packed (§12): unpacking activations on every read would cost
// more cycles than the RAM it saves for the small arenas this targets.
std::string c_type(const ir::ElementType& type);
std::int64_t c_size(const ir::ElementType& type);
// A C99 integer literal that is valid for every int64 (INT64_MIN included).
std::string c_literal(std::int64_t value);
// A C identifier made of the name's letters and digits ("conv1.out" -> "conv1_out").
std::string c_identifier(const std::string& name);

}  // namespace bitlab::codegen
