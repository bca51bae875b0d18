#pragma once

// Portable random draws. std::uniform_*_distribution are implementation-defined,
// so libstdc++ and libc++ give different numbers for the same seed; these are
// specified bit for bit (docs/integer-spec.md §3.2) on top of std::mt19937_64,
// whose output sequence the standard does fix.

#include <cstdint>
#include <random>

namespace bitlab::quant {

using Generator = std::mt19937_64;

// u = (g() >> 11) * 2^-53: the top 53 bits as a double in [0, 1), exactly.
double uniform_unit(Generator& generator);

// Uniform integer in [0, bound) by rejection of the biased top slice of the
// 64-bit range; bound must be > 0. Draws at least one value.
std::uint64_t uniform_below(Generator& generator, std::uint64_t bound);

}  // namespace bitlab::quant
