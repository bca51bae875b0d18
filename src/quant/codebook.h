#pragma once

// Non-uniform levels learned from data: 1-D k-means (Lloyd's algorithm with
// k-means++ seeding), docs/integer-spec.md §8. Deterministic given the seed on
// every platform: draws come from quant/random.h, sums run in a fixed order.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace bitlab::quant {

struct CodebookOptions {
  // 2^bits centroids are requested (codes are unsigned, `bits` wide).
  int bits = 4;
  // Upper bound on Lloyd iterations (assignment + update pairs), >= 1.
  int max_iterations = 100;
  std::uint64_t seed = 0;
};

struct KMeansResult {
  // Ascending, distinct. Fewer than 2^bits only when the data has fewer
  // distinct values (k-means++ cannot pick a point at distance 0).
  std::vector<double> centroids;
  // Sum of squared distances after each assignment step, in order; Lloyd's
  // algorithm makes this non-increasing (up to float64 rounding of the sums).
  std::vector<double> distortion_history;
  int iterations = 0;
  // True when an assignment step changed nothing (a fixed point was reached).
  bool converged = false;
};

// Throws std::invalid_argument for empty or non-finite data or bad options.
KMeansResult kmeans_1d(std::span<const float> data, const CodebookOptions& options);

class Codebook {
 public:
  static constexpr int kMinBits = 1;
  static constexpr int kMaxBits = 16;

  // Centroids are sorted; throws if empty, non-finite, duplicated, or more
  // than 2^bits of them.
  Codebook(std::vector<float> centroids, int bits);

  static Codebook learn(std::span<const float> data, const CodebookOptions& options);

  [[nodiscard]] int bits() const { return bits_; }
  [[nodiscard]] std::size_t size() const { return centroids_.size(); }
  [[nodiscard]] const std::vector<float>& centroids() const { return centroids_; }

  // Index of the nearest centroid; an exact tie goes to the lower index
  // (= the smaller centroid, since they are sorted). NaN throws.
  [[nodiscard]] std::uint32_t encode(float value) const;
  // Throws std::invalid_argument for an index >= size().
  [[nodiscard]] float decode(std::uint32_t code) const;
  [[nodiscard]] float quantise(float value) const { return decode(encode(value)); }

  [[nodiscard]] std::vector<std::uint32_t> encode(std::span<const float> values) const;
  [[nodiscard]] std::vector<float> decode(std::span<const std::uint32_t> codes) const;

 private:
  std::vector<float> centroids_;
  int bits_;
};

}  // namespace bitlab::quant
