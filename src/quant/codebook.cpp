#include "quant/codebook.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "quant/random.h"

namespace bitlab::quant {
namespace {

void check_bits(int bits, const char* where) {
  if (bits < Codebook::kMinBits || bits > Codebook::kMaxBits) {
    throw std::invalid_argument(std::string(where) + ": bits = " + std::to_string(bits) + " must be in [" +
                                std::to_string(Codebook::kMinBits) + ", " + std::to_string(Codebook::kMaxBits) +
                                "]");
  }
}

// Nearest of ascending `centroids` to x; an exact tie goes to the lower index.
// Only the two neighbours of x can be nearest, so a binary search suffices (§8).
template <typename T>
std::size_t nearest_index(std::span<const T> centroids, double x) {
  const auto upper = std::lower_bound(centroids.begin(), centroids.end(), x,
                                      [](T c, double v) { return static_cast<double>(c) < v; });
  if (upper == centroids.begin()) return 0;
  if (upper == centroids.end()) return centroids.size() - 1;
  const auto hi = static_cast<std::size_t>(upper - centroids.begin());
  const double distance_below = x - static_cast<double>(centroids[hi - 1]);
  const double distance_above = static_cast<double>(centroids[hi]) - x;
  return distance_above < distance_below ? hi : hi - 1;
}

std::vector<double> kmeans_plus_plus(std::span<const double> data, std::size_t k, Generator& generator) {
  std::vector<double> centroids;
  centroids.reserve(k);
  centroids.push_back(data[uniform_below(generator, data.size())]);

  std::vector<double> squared_distance(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double d = data[i] - centroids.front();
    squared_distance[i] = d * d;
  }
  while (centroids.size() < k) {
    double total = 0.0;
    for (const double d2 : squared_distance) total += d2;
    if (total == 0.0) break;  // every point already sits on a centroid

    // Pick i with probability D(i)^2 / total: the first index whose running
    // sum (accumulated exactly as `total` was) exceeds u * total. That index
    // always exists and has D(i) > 0, because u < 1.
    const double target = uniform_unit(generator) * total;
    double running = 0.0;
    std::size_t chosen = data.size() - 1;
    for (std::size_t i = 0; i < data.size(); ++i) {
      running += squared_distance[i];
      if (running > target) {
        chosen = i;
        break;
      }
    }
    const double centre = data[chosen];
    centroids.push_back(centre);
    for (std::size_t i = 0; i < data.size(); ++i) {
      const double d = data[i] - centre;
      squared_distance[i] = std::min(squared_distance[i], d * d);
    }
  }
  std::sort(centroids.begin(), centroids.end());
  return centroids;
}

}  // namespace

KMeansResult kmeans_1d(std::span<const float> data, const CodebookOptions& options) {
  check_bits(options.bits, "CodebookOptions");
  if (options.max_iterations < 1) {
    throw std::invalid_argument("CodebookOptions: max_iterations = " + std::to_string(options.max_iterations) +
                                " must be >= 1");
  }
  if (data.empty()) throw std::invalid_argument("kmeans_1d: data is empty");
  std::vector<double> points(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (!std::isfinite(data[i])) {
      throw std::invalid_argument("kmeans_1d: data[" + std::to_string(i) + "] is not finite");
    }
    points[i] = data[i];
  }

  Generator generator(options.seed);
  KMeansResult result;
  result.centroids = kmeans_plus_plus(points, std::size_t{1} << options.bits, generator);
  auto& centroids = result.centroids;

  std::vector<std::size_t> assignment(points.size());
  std::vector<std::size_t> previous;
  std::vector<double> sums(centroids.size());
  std::vector<std::size_t> counts(centroids.size());
  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    double distortion = 0.0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      assignment[i] = nearest_index<double>(centroids, points[i]);
      const double d = points[i] - centroids[assignment[i]];
      distortion += d * d;
    }
    result.distortion_history.push_back(distortion);
    result.iterations = iteration + 1;
    if (assignment == previous) {
      result.converged = true;
      break;
    }
    previous = assignment;

    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), std::size_t{0});
    for (std::size_t i = 0; i < points.size(); ++i) {
      sums[assignment[i]] += points[i];
      ++counts[assignment[i]];
    }
    // An empty cluster keeps its centroid: moving it could only be justified
    // by a reseeding rule, and staying put cannot raise the distortion.
    for (std::size_t c = 0; c < centroids.size(); ++c) {
      if (counts[c] > 0) centroids[c] = sums[c] / static_cast<double>(counts[c]);
    }
    std::sort(centroids.begin(), centroids.end());
  }
  centroids.erase(std::unique(centroids.begin(), centroids.end()), centroids.end());
  return result;
}

Codebook::Codebook(std::vector<float> centroids, int bits) : centroids_(std::move(centroids)), bits_(bits) {
  check_bits(bits, "Codebook");
  if (centroids_.empty()) throw std::invalid_argument("Codebook: centroids is empty");
  if (centroids_.size() > (std::size_t{1} << bits)) {
    throw std::invalid_argument("Codebook: " + std::to_string(centroids_.size()) + " centroids do not fit in " +
                                std::to_string(bits) + "-bit codes");
  }
  for (std::size_t i = 0; i < centroids_.size(); ++i) {
    if (!std::isfinite(centroids_[i])) {
      throw std::invalid_argument("Codebook: centroids[" + std::to_string(i) + "] is not finite");
    }
    if (i > 0 && !(centroids_[i - 1] < centroids_[i])) {
      throw std::invalid_argument("Codebook: centroids must be strictly ascending; centroids[" +
                                  std::to_string(i) + "] is not greater than the one before");
    }
  }
}

Codebook Codebook::learn(std::span<const float> data, const CodebookOptions& options) {
  const KMeansResult result = kmeans_1d(data, options);
  std::vector<float> centroids;
  centroids.reserve(result.centroids.size());
  for (const double c : result.centroids) centroids.push_back(static_cast<float>(c));
  // Distinct doubles can round to the same float.
  centroids.erase(std::unique(centroids.begin(), centroids.end()), centroids.end());
  return Codebook(std::move(centroids), options.bits);
}

std::uint32_t Codebook::encode(float value) const {
  if (std::isnan(value)) throw std::invalid_argument("Codebook::encode: value is NaN");
  return static_cast<std::uint32_t>(nearest_index<float>(centroids_, value));
}

float Codebook::decode(std::uint32_t code) const {
  if (code >= centroids_.size()) {
    throw std::invalid_argument("Codebook::decode: code " + std::to_string(code) + " is not below size " +
                                std::to_string(centroids_.size()));
  }
  return centroids_[code];
}

std::vector<std::uint32_t> Codebook::encode(std::span<const float> values) const {
  std::vector<std::uint32_t> codes(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) codes[i] = encode(values[i]);
  return codes;
}

std::vector<float> Codebook::decode(std::span<const std::uint32_t> codes) const {
  std::vector<float> values(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) values[i] = decode(codes[i]);
  return values;
}

}  // namespace bitlab::quant
