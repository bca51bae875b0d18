#include "train/trace/uniform_spec.h"

#include <cmath>

#include <fmt/format.h>

#include "common/error.h"
#include "train/quantizers/quantizer.h"

namespace bitlab::train {

quant::QuantSpec uniform_spec(const QuantizerImpl& quantizer, const std::string& layer, const std::string& role) {
  const LevelSet set = quantizer.levels();
  if (set.kind != "uniform") {
    throw ConfigError(fmt::format(
        "layer \"{}\": its {} use the \"{}\" algorithm, whose {} levels the integer graph cannot hold yet "
        "(it stores uniform codes with scales); quantise this layer with a uniform algorithm "
        "(ste, pact, lsq, tqt, dorefa, ana) to convert the network",
        layer, role, quantizer.options().algorithm, set.kind));
  }
  quant::QuantSpec spec = set.spec;
  if (!spec.is_signed || spec.narrow_range) return spec;
  // The lowest level of each row is (k - z)·s for the lowest code k the
  // forward can produce; when that is qmin + 1 in every row, the clip is
  // symmetric and the narrow range is the spec the forward follows.
  const torch::Tensor lowest = set.values.detach().to(torch::kCPU).to(torch::kFloat64).select(1, 0).contiguous();
  bool narrow = lowest.numel() == static_cast<std::int64_t>(spec.num_channels());
  for (std::size_t c = 0; narrow && c < spec.num_channels(); ++c) {
    const double code = std::round(lowest.data_ptr<double>()[c] / spec.step(c)) + spec.zero_point(c);
    narrow = code == spec.qmin() + 1;
  }
  spec.narrow_range = narrow;
  return spec;
}

}  // namespace bitlab::train
