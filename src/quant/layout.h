#pragma once

// Maps a flat row-major (C-contiguous) buffer index to its channel along one
// axis, the way per-channel specs see tensors (docs/integer-spec.md §6).

#include <cstddef>
#include <cstdint>
#include <span>

namespace bitlab::quant {

class ChannelLayout {
 public:
  // Throws std::invalid_argument for an empty shape, negative dims, or an axis
  // that is not in [0, rank).
  ChannelLayout(std::span<const std::int64_t> shape, int axis);

  [[nodiscard]] std::size_t num_elements() const { return outer_ * channels_ * inner_; }
  [[nodiscard]] std::size_t num_channels() const { return channels_; }
  // Product of the dims after the axis: consecutive elements sharing a channel.
  [[nodiscard]] std::size_t inner_size() const { return inner_; }
  [[nodiscard]] std::size_t channel_of(std::size_t flat_index) const {
    return (flat_index / inner_) % channels_;
  }

 private:
  std::size_t outer_ = 1;
  std::size_t channels_ = 1;
  std::size_t inner_ = 1;
};

}  // namespace bitlab::quant
