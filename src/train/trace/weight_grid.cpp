#include "train/trace/weight_grid.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/error.h"
#include "train/quantizers/quantizer.h"
#include "train/trace/uniform_spec.h"

namespace bitlab::train {
namespace {

// The per-channel scales of `spec` broadcast against `weight` (float64).
torch::Tensor scale_tensor(const quant::QuantSpec& spec, const torch::Tensor& weight) {
  torch::Tensor s = torch::tensor(spec.scales, torch::kFloat64);
  if (spec.granularity != quant::Granularity::PerChannel) return s.reshape({});
  std::vector<std::int64_t> shape(static_cast<std::size_t>(weight.dim()), 1);
  shape[static_cast<std::size_t>(spec.axis)] = -1;
  return s.reshape(shape);
}

// Whether every weight is an integer multiple of its channel's scale within
// the spec's code range: then weight_quant gives back exactly these weights.
bool on_grid(const quant::QuantSpec& spec, const torch::Tensor& weight) {
  const torch::Tensor codes = weight.detach().to(torch::kCPU, torch::kFloat64) / scale_tensor(spec, weight);
  return torch::equal(codes, torch::round(codes)) && codes.min().item<double>() >= spec.qmin() &&
         codes.max().item<double>() <= spec.qmax();
}

quant::QuantSpec signed_narrow(quant::QuantSpec spec, int bits) {
  spec.bits = bits;
  spec.is_signed = true;
  spec.narrow_range = true;
  spec.symmetric = true;
  spec.zero_points.clear();
  return spec;
}

// The layer's weights rounded onto the symmetric grid whose largest code
// 2^(bits-1) - 1 is the largest level magnitude (one scale for the tensor:
// TTQ and codebooks learn one level set per layer).
WeightGrid rounded(const LevelSet& set, const torch::Tensor& weight, int bits) {
  const double top = set.values.detach().to(torch::kFloat64).abs().max().item<double>();
  const double qmax = std::ldexp(1.0, bits - 1) - 1.0;
  WeightGrid g;
  g.spec = signed_narrow(quant::QuantSpec{}, bits);
  g.spec.granularity = quant::Granularity::PerTensor;
  g.spec.scales = {top > 0.0 && std::isfinite(top) ? top / qmax : 1.0};
  const double s = g.spec.scales[0];
  // torch::round rounds half to even, like the weight_quant that reads them back.
  const torch::Tensor w = weight.detach().to(torch::kCPU, torch::kFloat64);
  g.weight = (torch::clamp(torch::round(w / s), -qmax, qmax) * s).to(weight.scalar_type());
  g.exact = false;
  return g;
}

}  // namespace

WeightGrid weight_grid(const QuantizerImpl& quantizer, const torch::Tensor& weight, const std::string& layer,
                       int level_grid_bits) {
  if (level_grid_bits < 2 || level_grid_bits > quant::QuantSpec::kMaxBits) {
    throw ConfigError(fmt::format("trace: level_grid_bits is {}; it must lie in [2, 16] (the widest integer weight)",
                                  level_grid_bits));
  }
  const LevelSet set = quantizer.levels();
  const std::string& algorithm = quantizer.options().algorithm;
  WeightGrid g;
  g.weight = weight;
  if (set.kind == "uniform") {
    g.spec = uniform_spec(quantizer, layer, "weights");
    return g;
  }
  if (set.kind == "binary" || set.kind == "ternary") {
    // Codes {-1, (0,) +1} times alpha: 2-bit narrow signed. The IR's 1-bit
    // signed spec is [-1, 0] (integer-spec §2.1), which cannot hold +1.
    g.spec = signed_narrow(set.spec, 2);
  } else if (set.kind == "log2") {
    // ±2^e for e in [e_min, e_max] are ±2^(e - e_min) times 2^e_min: integer
    // codes up to 2^(e_max - e_min) (2^(2^(bits-1) - 2) for log2, fewer for
    // INQ, which leaves the upper magnitude codes unused), plus a sign bit.
    const torch::Tensor top = std::get<0>(set.values.detach().to(torch::kFloat64).abs().max(1));
    double max_code = 0.0;
    for (std::int64_t c = 0; c < top.numel(); ++c) {
      max_code = std::max(max_code, top[c].item<double>() / set.spec.step(static_cast<std::size_t>(c)));
    }
    const int bits = static_cast<int>(std::floor(std::log2(std::max(max_code, 1.0)))) + 2;
    if (bits > quant::QuantSpec::kMaxBits) {
      throw ConfigError(fmt::format(
          "layer \"{}\": its weights use {}-bit \"{}\" levels, powers of two spanning a factor of {} that need "
          "{}-bit integer codes, more than the 16 the integer graph holds; train the layer with at most 5-bit "
          "log2 weights to convert it",
          layer, set.spec.bits, algorithm, max_code, bits));
    }
    g.spec = signed_narrow(set.spec, bits);
  } else if (set.kind != "codebook") {
    throw ConfigError(fmt::format("layer \"{}\": its weights use the \"{}\" algorithm with \"{}\" levels, which the "
                                  "tracer does not know how to store",
                                  layer, algorithm, set.kind));
  }
  // Codebooks, and ternary sets with Wp != Wn (TTQ), are not on one grid: round them.
  if (set.kind == "codebook" || (set.kind == "ternary" && !on_grid(g.spec, weight))) {
    return rounded(set, weight, level_grid_bits);
  }
  // Binary and log2 outputs are on their grid by construction; INQ's only
  // once every weight is frozen (QAT progress 1, which `bitlab convert` sets).
  if (!on_grid(g.spec, weight)) {
    throw ConfigError(fmt::format("layer \"{}\": its \"{}\" weights are not all on their {} levels (INQ before "
                                  "its last stage?); set QAT progress to 1 before tracing",
                                  layer, algorithm, set.kind));
  }
  return g;
}

}  // namespace bitlab::train
