#include "lab/core/comparison.h"

#include <optional>
#include <set>
#include <utility>

namespace bitlab::lab {

std::map<std::string, Summary> summarize_by_variant(const std::vector<MetricValue>& values, double confidence) {
  std::map<std::string, std::vector<double>> grouped;
  for (const MetricValue& v : values) grouped[v.variant].push_back(v.value);
  std::map<std::string, Summary> summaries;
  for (const auto& [variant, samples] : grouped) summaries.emplace(variant, summarize(samples, confidence));
  return summaries;
}

PairedSamples pair_by_seed_and_fold(const std::vector<MetricValue>& values, const std::string& variant_a,
                                    const std::string& variant_b) {
  using Key = std::pair<uint64_t, std::optional<int>>;
  std::map<Key, const MetricValue*> b_by_key;
  for (const MetricValue& v : values)
    if (v.variant == variant_b) b_by_key[{v.seed, v.fold}] = &v;
  PairedSamples pairs;
  std::set<Key> matched;
  for (const MetricValue& v : values) {
    if (v.variant != variant_a) continue;
    auto partner = b_by_key.find({v.seed, v.fold});
    if (partner == b_by_key.end()) {
      pairs.unpaired_runs.push_back(v.run_id);
      continue;
    }
    pairs.a.push_back(v.value);
    pairs.b.push_back(partner->second->value);
    matched.insert(partner->first);
  }
  for (const auto& [key, v] : b_by_key)
    if (!matched.count(key)) pairs.unpaired_runs.push_back(v->run_id);
  return pairs;
}

}  // namespace bitlab::lab
