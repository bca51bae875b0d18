#pragma once
// Plumbing shared by the uniform-family quantisers (ste, pact, lsq, tqt,
// dorefa, ana; docs/algorithms.md): the integer code range an options struct
// asks for, per-channel reshaping, reading `params`, and turning per-channel
// scale tensors into a quant::QuantSpec and a level table.
//
// Exactness rule used by every caller: a forward computes its output as
// `code * scale` (or `(code - zero_point) * scale`) in float32 with the same
// scale tensor that levels() reads, and grid_values() uses the very same
// arithmetic, so "forward lands on its level set" holds bit for bit.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quant/spec.h"
#include "train/quantizers/quantizer.h"

namespace bitlab::train::detail {

struct CodeRange {
  std::int32_t qmin = 0;
  std::int32_t qmax = 0;
};

// The code range of options.bits / is_signed / narrow_range, after checking the
// options every uniform algorithm shares (granularity, axis, channels). Signed
// symmetric quantisers need a positive code, so `algorithm` with signed 1-bit
// options is a ConfigError naming it.
CodeRange check_uniform_options(const QuantizerOptions& options, const std::string& algorithm);

// options.channels for per-channel quantisers, 1 for per-tensor ones.
std::int64_t channel_count(const QuantizerOptions& options);

// options.params, with null read as {} (JsonReader keeps a pointer to it, so
// the returned reference lives as long as `options`).
const nlohmann::json& params_of(const QuantizerOptions& options);

// Reshapes a per-channel tensor p [C] so it broadcasts against `x` along
// options.axis; per-tensor p [1] becomes 0-dim. Checks x has C channels.
torch::Tensor broadcast(const torch::Tensor& p, const QuantizerOptions& options, const torch::Tensor& x);

// `x` as rows, one per channel: [C, numel / C] (per-tensor: [1, numel]).
torch::Tensor channel_rows(const torch::Tensor& x, const QuantizerOptions& options);

// A [C] float32 tensor from set_range's min/max, which may hold C values or a
// single value shared by every channel.
torch::Tensor per_channel_bound(const torch::Tensor& bound, const QuantizerOptions& options, const char* what);

// The QuantSpec of the options with these scales ([C] float32) and zero
// points ([C], integer-valued float; undefined = all zero). Validated.
quant::QuantSpec make_spec(const QuantizerOptions& options, const torch::Tensor& scales,
                           const torch::Tensor& zero_points, bool symmetric,
                           quant::ScaleKind scale_kind = quant::ScaleKind::Float);

// [C, kmax - kmin + 1] float32: (k - zero_point[c]) * scale[c] for k = kmin..kmax,
// ascending per row (scales are positive). `zero_points` may be undefined.
torch::Tensor grid_values(const torch::Tensor& scales, const torch::Tensor& zero_points, std::int64_t kmin,
                          std::int64_t kmax);

// Scales and zero points ([C] float32 each) covering per-channel [min, max]
// (set_range's tensors), with quant::fit_range's formulas so training and the
// integer core agree: symmetric signed s = max(-min, max) / qmax, symmetric
// unsigned s = max / qmax, affine s = (max - min) / (qmax - qmin) with
// z = qmin - round(min / s); zero points are 0 unless `affine`.
struct FittedScales {
  torch::Tensor scales;
  torch::Tensor zero_points;
};
FittedScales fit_scales(const QuantizerOptions& options, bool affine, const torch::Tensor& min,
                        const torch::Tensor& max);

// 1.0 where `v` is not a positive finite number: the scale used for an all-zero
// calibration tensor (any scale represents it exactly), as quant::fit_range does.
torch::Tensor positive_or_one(const torch::Tensor& v);

}  // namespace bitlab::train::detail
