#include "search/core/space.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"

namespace bitlab::search {

void SearchSpace::finalize() {
  knobs.clear();
  std::set<std::string> names;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    auto& layer = layers[l];
    if (layer.name.empty()) throw std::invalid_argument(fmt::format("search space layer {} has no name", l));
    if (!names.insert(layer.name).second)
      throw std::invalid_argument(fmt::format("search space names layer '{}' twice", layer.name));
    for (auto* bits : {&layer.weight_bits, &layer.activation_bits}) {
      std::sort(bits->begin(), bits->end());
      bits->erase(std::unique(bits->begin(), bits->end()), bits->end());
      for (int b : *bits)
        if (b < hw::LayerPrecision::kMinBits || b > hw::LayerPrecision::kMaxBits)
          throw std::invalid_argument(fmt::format("layer '{}': width {} outside [1, 32]", layer.name, b));
    }
    if (!layer.activation_bits.empty() && layer.activation_point.empty())
      throw std::invalid_argument(
          fmt::format("layer '{}' has activation widths but no activation point", layer.name));
    if (!layer.weight_bits.empty()) knobs.push_back({static_cast<int>(l), true, layer.weight_bits});
    if (!layer.activation_bits.empty()) knobs.push_back({static_cast<int>(l), false, layer.activation_bits});
  }
}

std::uint64_t SearchSpace::size() const {
  std::uint64_t n = 1;
  for (const auto& k : knobs) {
    if (n > std::numeric_limits<std::uint64_t>::max() / k.bits.size()) return std::numeric_limits<std::uint64_t>::max();
    n *= k.bits.size();
  }
  return n;
}

std::uint64_t SearchSpace::index_of(const Genes& genes) const {
  std::uint64_t index = 0;
  for (std::size_t d = knobs.size(); d-- > 0;) index = index * knobs[d].bits.size() + static_cast<std::uint64_t>(genes[d]);
  return index;
}

Genes SearchSpace::from_index(std::uint64_t index) const {
  Genes genes(knobs.size());
  for (std::size_t d = 0; d < knobs.size(); ++d) {
    genes[d] = static_cast<int>(index % knobs[d].bits.size());
    index /= knobs[d].bits.size();
  }
  return genes;
}

bool SearchSpace::valid(const Genes& genes) const {
  if (genes.size() != knobs.size()) return false;
  for (std::size_t d = 0; d < knobs.size(); ++d)
    if (genes[d] < 0 || genes[d] >= static_cast<int>(knobs[d].bits.size())) return false;
  return true;
}

std::pair<int, int> SearchSpace::layer_bits(const Genes& genes, int layer) const {
  std::pair<int, int> bits{default_weight_bits, default_activation_bits};
  for (std::size_t d = 0; d < knobs.size(); ++d) {
    if (knobs[d].layer != layer) continue;
    (knobs[d].weights ? bits.first : bits.second) = knobs[d].bits[static_cast<std::size_t>(genes[d])];
  }
  return bits;
}

Genes SearchSpace::uniform(int weight_bits, int activation_bits) const {
  Genes genes(knobs.size());
  for (std::size_t d = 0; d < knobs.size(); ++d) {
    const int target = knobs[d].weights ? weight_bits : activation_bits;
    int best = 0;
    for (std::size_t j = 1; j < knobs[d].bits.size(); ++j)
      if (std::abs(knobs[d].bits[j] - target) < std::abs(knobs[d].bits[static_cast<std::size_t>(best)] - target))
        best = static_cast<int>(j);
    genes[d] = best;
  }
  return genes;
}

std::string canonical_key(const SearchSpace& space, const Genes& genes) {
  std::string key;
  for (std::size_t l = 0; l < space.layers.size(); ++l) {
    const auto& layer = space.layers[l];
    if (layer.weight_bits.empty() && layer.activation_bits.empty()) continue;
    const auto [w, a] = space.layer_bits(genes, static_cast<int>(l));
    if (!key.empty()) key += ';';
    key += layer.name + '=';
    if (!layer.weight_bits.empty()) key += fmt::format("w{}", w);
    if (!layer.activation_bits.empty()) key += fmt::format("a{}", a);
  }
  return key;
}

hw::PrecisionAssignment to_assignment(const SearchSpace& space, const Genes& genes) {
  hw::PrecisionAssignment assignment;
  assignment.input_bits = space.input_bits;
  assignment.default_precision = {space.default_weight_bits, space.default_activation_bits};
  for (std::size_t l = 0; l < space.layers.size(); ++l) {
    const auto& layer = space.layers[l];
    const auto [w, a] = space.layer_bits(genes, static_cast<int>(l));
    // The layer's own output keeps the default width: in a policy only the
    // activation point after it quantises activations (docs/policies.md).
    if (!layer.weight_bits.empty()) assignment.layers[layer.name] = {w, space.default_activation_bits};
    if (!layer.activation_bits.empty()) assignment.layers[layer.activation_point] = {space.default_weight_bits, a};
  }
  return assignment;
}

nlohmann::json to_policy_json(const SearchSpace& space, const Genes& genes) {
  nlohmann::json rules = nlohmann::json::array();
  for (std::size_t l = 0; l < space.layers.size(); ++l) {
    const auto& layer = space.layers[l];
    const auto [w, a] = space.layer_bits(genes, static_cast<int>(l));
    if (!layer.weight_bits.empty()) rules.push_back({{"match", layer.name}, {"weights", w}});
    if (!layer.activation_bits.empty()) rules.push_back({{"match", layer.activation_point}, {"activations", a}});
  }
  return {{"algorithm", space.algorithm},
          {"weights", space.default_weight_bits},
          {"activations", space.default_activation_bits},
          {"input", space.input_bits},
          {"layers", rules}};
}

nlohmann::json to_bits_json(const SearchSpace& space, const Genes& genes) {
  nlohmann::json bits = nlohmann::json::object();
  for (std::size_t l = 0; l < space.layers.size(); ++l) {
    const auto& layer = space.layers[l];
    const auto [w, a] = space.layer_bits(genes, static_cast<int>(l));
    nlohmann::json entry = nlohmann::json::object();
    if (!layer.weight_bits.empty()) entry["weights"] = w;
    if (!layer.activation_bits.empty()) entry["activations"] = a;
    if (!entry.empty()) bits[layer.name] = entry;
  }
  return bits;
}

Genes from_bits_json(const SearchSpace& space, const nlohmann::json& bits, const std::string& source) {
  Genes genes(space.knobs.size(), 0);
  if (!bits.is_object()) throw ConfigError(fmt::format("{}: expected an object of layer widths", source));
  for (std::size_t d = 0; d < space.knobs.size(); ++d) {
    const auto& knob = space.knobs[d];
    const auto& name = space.layers[static_cast<std::size_t>(knob.layer)].name;
    const char* role = knob.weights ? "weights" : "activations";
    if (!bits.contains(name) || !bits[name].contains(role) || !bits[name][role].is_number_integer())
      throw ConfigError(fmt::format("{}: /{}/{}: missing; the search space has this knob", source, name, role));
    const int b = bits[name][role].get<int>();
    auto it = std::find(knob.bits.begin(), knob.bits.end(), b);
    if (it == knob.bits.end())
      throw ConfigError(fmt::format("{}: /{}/{}: {} bits is not one of the space's choices", source, name, role, b));
    genes[d] = static_cast<int>(it - knob.bits.begin());
  }
  return genes;
}

namespace {

std::vector<int> read_bits(const JsonReader& reader, std::string_view key, const std::vector<int>& fallback) {
  const nlohmann::json* raw = reader.raw(key);
  if (raw == nullptr) return fallback;
  if (raw->is_number_integer()) {
    const auto v = raw->get<std::int64_t>();
    if (v < 1 || v > 32) reader.fail(key, "a width in [1, 32] or a list of them");
    return {static_cast<int>(v)};
  }
  if (!raw->is_array() || raw->empty()) reader.fail(key, "a width in [1, 32] or a non-empty list of them");
  std::vector<int> bits;
  for (const auto& v : *raw) {
    if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > 32)
      reader.fail(key, "a list of widths in [1, 32]");
    bits.push_back(v.get<int>());
  }
  return bits;
}

std::pair<int, int> parse_shorthand(const JsonReader& reader, std::string_view key, std::string text) {
  int w = 0, a = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "w%da%d%c", &w, &a, &tail) != 2 || w < 1 || w > 32 || a < 1 || a > 32)
    reader.fail(key, "a shorthand \"wXaY\" such as \"w8a8\"");
  return {w, a};
}

}  // namespace

SearchSpace parse_space(const nlohmann::json& json, const std::string& file, const std::string& pointer) {
  JsonReader reader(json, file, pointer);
  SearchSpace space;
  space.algorithm = reader.string("algorithm", "ste");
  std::tie(space.default_weight_bits, space.default_activation_bits) =
      parse_shorthand(reader, "default", reader.string("default", "w8a8"));
  space.input_bits = static_cast<int>(reader.integer("input", 8, 1, 32));
  const auto weight_set = read_bits(reader, "weight_bits", {2, 4, 8});
  const auto activation_set = read_bits(reader, "activation_bits", {4, 8});
  const nlohmann::json* layers = reader.raw("layers");
  if (layers == nullptr || !layers->is_array() || layers->empty())
    reader.fail("layers", "a non-empty list of {\"name\", \"weights\"?, \"activation_point\"?, \"activations\"?}");
  for (std::size_t i = 0; i < layers->size(); ++i) {
    JsonReader lr((*layers)[i], file, reader.pointer_of("layers") + "/" + std::to_string(i));
    LayerSpace layer;
    layer.name = lr.required_string("name");
    layer.weight_bits = read_bits(lr, "weights", weight_set);
    layer.activation_point = lr.string("activation_point", "");
    layer.activation_bits = layer.activation_point.empty() ? std::vector<int>{} : read_bits(lr, "activations", activation_set);
    if (layer.activation_point.empty() && lr.has("activations"))
      lr.fail("activations", "an \"activation_point\" beside it (the node whose output these widths quantise)");
    lr.finish();
    space.layers.push_back(std::move(layer));
  }
  reader.finish();
  try {
    space.finalize();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(fmt::format("{}: {}: {}", file, pointer.empty() ? "/" : pointer, e.what()));
  }
  return space;
}

}  // namespace bitlab::search
