#include "search/core/references.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bitlab::search {

std::string FlatReference::label() const { return fmt::format("w{}a{}", weight_bits, activation_bits); }

std::optional<FlatReference> parse_flat_reference(const std::string& text) {
  static const std::regex pattern("w([0-9]{1,2})a([0-9]{1,2})");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) return std::nullopt;
  FlatReference r{std::stoi(m[1]), std::stoi(m[2])};
  if (r.weight_bits < 1 || r.weight_bits > 16 || r.activation_bits < 1 || r.activation_bits > 16) return std::nullopt;
  return r;
}

hw::PrecisionAssignment flat_assignment(const SearchSpace& space, int weight_bits, int activation_bits) {
  hw::PrecisionAssignment a = to_assignment(space, Genes(space.knobs.size(), 0));
  a.default_precision = {weight_bits, activation_bits};
  for (auto& [name, precision] : a.layers) precision = {weight_bits, activation_bits};
  return a;
}

nlohmann::json flat_policy_json(const SearchSpace& space, const FlatReference& reference) {
  return {{"algorithm", space.algorithm},
          {"weights", reference.weight_bits},
          {"activations", reference.activation_bits},
          {"input", space.input_bits}};
}

nlohmann::json to_json(const ReferencePoint& point) {
  nlohmann::json j{{"label", point.reference.label()},
                   {"weights", point.reference.weight_bits},
                   {"activations", point.reference.activation_bits},
                   {"budget", point.budget}};
  j.update(nlohmann::json(point.evaluation));
  return j;
}

namespace {

std::vector<ReferencePoint> read_cache(const std::filesystem::path& file) {
  std::vector<ReferencePoint> points;
  if (!std::filesystem::exists(file)) return points;
  std::ifstream in(file);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
    for (const auto& e : j.at("references")) {
      ReferencePoint p;
      p.reference = {e.at("weights").get<int>(), e.at("activations").get<int>()};
      p.budget = e.at("budget").get<int>();
      p.evaluation = e.get<Evaluation>();
      points.push_back(std::move(p));
    }
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("{}: not a reference cache written by `bitlab search` ({}); delete it to re-evaluate "
                              "the flat references",
                              file.string(), e.what()));
  }
  return points;
}

void write_cache(const std::filesystem::path& file, const std::vector<ReferencePoint>& points) {
  nlohmann::json j{{"references", nlohmann::json::array()}};
  for (const auto& p : points) j["references"].push_back(to_json(p));
  write_file_atomically(file, j.dump(2) + "\n");
}

}  // namespace

std::vector<ReferencePoint> evaluate_references(const std::vector<FlatReference>& references, int budget,
                                                const SearchSpace& space, Evaluator& evaluator, CostModel* costs,
                                                const std::filesystem::path& cache_file) {
  std::vector<ReferencePoint> cache = read_cache(cache_file);
  std::vector<ReferencePoint> result;
  for (const FlatReference& r : references) {
    const auto cached = std::find_if(cache.begin(), cache.end(), [&](const ReferencePoint& p) {
      return p.budget == budget && p.reference.weight_bits == r.weight_bits &&
             p.reference.activation_bits == r.activation_bits;
    });
    if (cached != cache.end()) {
      result.push_back(*cached);
      continue;
    }
    ReferencePoint p;
    p.reference = r;
    p.budget = budget;
    const auto start = std::chrono::steady_clock::now();
    p.evaluation = evaluator.evaluate_policy(flat_policy_json(space, r), "flat-" + r.label(), budget);
    if (p.evaluation.seconds == 0.0)
      p.evaluation.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (costs != nullptr) {
      for (const auto& [name, value] : costs->costs(flat_assignment(space, r.weight_bits, r.activation_bits)))
        p.evaluation.costs.emplace(name, value);
    }
    cache.push_back(p);
    write_cache(cache_file, cache);  // a kill after this reference keeps it
    result.push_back(std::move(p));
  }
  return result;
}

}  // namespace bitlab::search
