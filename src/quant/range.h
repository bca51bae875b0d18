#pragma once

// Chooses scales and zero points that cover an observed real range, for
// calibration and for observers during training (docs/integer-spec.md §2.4).

#include <span>

#include "quant/spec.h"

namespace bitlab::quant {

// Returns `format` with scales / zero_points replaced; every other field is
// kept. The range is first widened to contain 0, so zero stays exact.
//   symmetric, signed:   s = max(-min, max) / qmax          z = 0
//   symmetric, unsigned: s = max / qmax (negatives clamp)    z = 0
//   affine:              s = (max - min) / (qmax - qmin)     z = qmin - round_half_to_even(min / s)
// PowerOfTwo rounds s up to the next power of two (before z is computed), so
// the range stays covered. An all-zero range gives s = 1.
// Throws std::invalid_argument for non-finite bounds, min > max, or a
// symmetric signed format with bits < 2 (its range has no positive codes).
QuantSpec fit_range(const QuantSpec& format, double min, double max);

// Per-channel form: one (min, max) pair per channel; `format` must be
// PerChannel and the spans the same, non-zero length.
QuantSpec fit_range(const QuantSpec& format, std::span<const double> mins, std::span<const double> maxs);

}  // namespace bitlab::quant
