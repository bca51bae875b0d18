#pragma once
// Options of the fake-quantised → integer conversion (docs/conversion.md).
#include "quant/dyadic.h"

namespace bitlab::ir::passes {

struct ConversionOptions {
  // How every real multiplier becomes m·2^−s (integer-spec §9.1):
  // multiplier_bits = 31 fits a signed int32 (CMSIS-NN), 15 an int16, ...
  quant::DyadicOptions dyadic = {};
};

}  // namespace bitlab::ir::passes
