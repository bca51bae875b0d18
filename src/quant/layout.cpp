#include "quant/layout.h"

#include <stdexcept>
#include <string>

namespace bitlab::quant {

ChannelLayout::ChannelLayout(std::span<const std::int64_t> shape, int axis) {
  if (shape.empty()) throw std::invalid_argument("ChannelLayout: shape is empty; per-channel needs rank >= 1");
  if (axis < 0 || static_cast<std::size_t>(axis) >= shape.size()) {
    throw std::invalid_argument("ChannelLayout: axis = " + std::to_string(axis) + " must be in [0, " +
                                std::to_string(shape.size()) + ")");
  }
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] < 0) {
      throw std::invalid_argument("ChannelLayout: shape[" + std::to_string(d) + "] = " +
                                  std::to_string(shape[d]) + " is negative");
    }
    const auto extent = static_cast<std::size_t>(shape[d]);
    const auto a = static_cast<std::size_t>(axis);
    if (d < a) outer_ *= extent;
    else if (d == a) channels_ = extent;
    else inner_ *= extent;
  }
  // A zero-sized inner block would make channel_of divide by zero; with no
  // elements there is nothing to map anyway.
  if (inner_ == 0) {
    outer_ = 0;
    inner_ = 1;
  }
}

}  // namespace bitlab::quant
