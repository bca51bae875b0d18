#include "quant/random.h"

#include <limits>
#include <stdexcept>

namespace bitlab::quant {

double uniform_unit(Generator& generator) {
  constexpr double kTwoToMinus53 = 1.0 / 9007199254740992.0;  // 2^-53
  return static_cast<double>(generator() >> 11) * kTwoToMinus53;
}

std::uint64_t uniform_below(Generator& generator, std::uint64_t bound) {
  if (bound == 0) throw std::invalid_argument("uniform_below: bound must be > 0");
  // Accept only draws below the largest multiple of `bound` that fits, so the
  // final modulo is unbiased. (2^64 - bound) % bound == 2^64 % bound.
  const std::uint64_t rejected = (std::numeric_limits<std::uint64_t>::max() - bound + 1) % bound;
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - rejected;
  for (;;) {
    const std::uint64_t draw = generator();
    if (draw <= limit) return draw % bound;
  }
}

}  // namespace bitlab::quant
