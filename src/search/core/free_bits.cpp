#include "search/core/free_bits.h"

#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"
#include "search/core/ilp_allocation.h"

namespace bitlab::search {

std::optional<double> LatencyTable::latency(const std::string& layer, int weight_bits, int activation_bits) const {
  auto it = layers.find(layer);
  if (it == layers.end()) return std::nullopt;
  auto entry = it->second.find({weight_bits, activation_bits});
  if (entry == it->second.end()) return std::nullopt;
  return entry->second;
}

LatencyTable parse_latency_table(const nlohmann::json& json, const std::string& file) {
  LatencyTable table;
  const auto fail = [&](const std::string& pointer, const std::string& what) {
    throw ConfigError(fmt::format("{}: {}: expected {}", file, pointer, what));
  };
  if (!json.is_object() || !json.contains("layers") || !json["layers"].is_object())
    fail("/layers", "an object mapping layer names to lists of {\"weights\", \"activations\", \"latency\"}");
  for (const auto& [name, entries] : json["layers"].items()) {
    const std::string pointer = "/layers/" + name;
    if (!entries.is_array()) fail(pointer, "a list of {\"weights\", \"activations\", \"latency\"}");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      JsonReader r(entries[i], file, pointer + "/" + std::to_string(i));
      const int w = static_cast<int>(r.required_integer("weights", 1, 32));
      const int a = static_cast<int>(r.required_integer("activations", 1, 32));
      const double latency = r.number("latency", -1.0, 0.0, 1e300);
      if (latency < 0.0) r.fail("latency", "a latency ≥ 0");
      r.finish();
      if (!table.layers[name].emplace(std::make_pair(w, a), latency).second)
        fail(pointer + "/" + std::to_string(i), fmt::format("one entry per width pair (w{}a{} is listed twice)", w, a));
    }
  }
  return table;
}

LatencyTable load_latency_table(const std::filesystem::path& path) {
  return parse_latency_table(JsonReader::parse_file(path), path.string());
}

double table_latency(const SearchSpace& space, const LatencyTable& table, const Genes& genes) {
  double total = 0.0;
  for (std::size_t l = 0; l < space.layers.size(); ++l) {
    const auto& name = space.layers[l].name;
    if (!table.layers.count(name)) continue;
    const auto [w, a] = space.layer_bits(genes, static_cast<int>(l));
    const auto latency = table.latency(name, w, a);
    if (!latency) throw std::out_of_range(fmt::format("latency table has no entry for {} at w{}a{}", name, w, a));
    total += *latency;
  }
  return total;
}

FreeBitsResult free_bits(const SearchSpace& space, const LatencyFunction& latency, Genes start,
                         const Acceptance& accept) {
  const auto options = layer_options(space);
  FreeBitsResult result{std::move(start), 0, 0};
  std::vector<int> weight_knob(space.layers.size(), -1), activation_knob(space.layers.size(), -1);
  for (std::size_t d = 0; d < space.knobs.size(); ++d)
    (space.knobs[d].weights ? weight_knob : activation_knob)[static_cast<std::size_t>(space.knobs[d].layer)] = static_cast<int>(d);
  auto current = latency(result.genes);
  if (!current) throw std::invalid_argument("free_bits: the starting candidate's latency is not measured");
  bool moved = true;
  while (moved) {
    moved = false;
    ++result.passes;
    for (std::size_t l = 0; l < space.layers.size(); ++l) {
      const auto [w0, a0] = space.layer_bits(result.genes, static_cast<int>(l));
      // Options with widths ≥ the current ones and a lower total, fastest first
      // (ties: the wider one, which should be the more accurate).
      struct Raise {
        double latency;
        int bits;
        Genes genes;
      };
      std::vector<Raise> raises;
      for (const auto& option : options[l]) {
        Genes g = result.genes;
        if (weight_knob[l] >= 0) g[static_cast<std::size_t>(weight_knob[l])] = option.weight_index;
        if (activation_knob[l] >= 0) g[static_cast<std::size_t>(activation_knob[l])] = option.activation_index;
        const auto [w, a] = space.layer_bits(g, static_cast<int>(l));
        if (w < w0 || a < a0 || (w == w0 && a == a0)) continue;
        const auto total = latency(g);
        if (total && *total < *current) raises.push_back({*total, w + a, std::move(g)});
      }
      std::stable_sort(raises.begin(), raises.end(), [](const Raise& x, const Raise& y) {
        return x.latency != y.latency ? x.latency < y.latency : x.bits > y.bits;
      });
      for (auto& raise : raises) {
        if (accept && !accept(result.genes, raise.genes)) continue;
        result.genes = std::move(raise.genes);
        current = raise.latency;
        ++result.moves;
        moved = true;
        break;
      }
    }
  }
  return result;
}

FreeBitsResult free_bits(const SearchSpace& space, const LatencyTable& table, Genes start, const Acceptance& accept) {
  return free_bits(
      space,
      [&](const Genes& g) -> std::optional<double> {
        try {
          return table_latency(space, table, g);
        } catch (const std::out_of_range&) {
          return std::nullopt;
        }
      },
      std::move(start), accept);
}

void FreeBits::run(SearchContext& ctx) {
  Genes start;
  if (options_.start) {
    start = *options_.start;
  } else if (auto best = best_trial(ctx.log(), ctx.objective())) {
    start = best->genes;
  } else {
    start.assign(ctx.space().knobs.size(), 0);
  }
  const int budget = options_.budget;
  const double tolerance = options_.accuracy_tolerance;
  const Acceptance accept = [&](const Genes& current, const Genes& proposed) {
    if (ctx.exhausted()) return false;
    const double before = ctx.evaluate(current, budget).evaluation.accuracy;
    const double after = ctx.evaluate(proposed, budget).evaluation.accuracy;
    return after >= before - tolerance;
  };
  if (options_.table) {
    result_ = free_bits(ctx.space(), *options_.table, start, accept);
  } else {
    const std::string cost = options_.latency_cost;
    // The start must be costed (a missing table entry there is the user's to fix);
    // elsewhere a missing entry only means an option that is not moved to.
    if (!ctx.costs(start).count(cost))
      throw ConfigError(fmt::format("free_bits: the cost model has no '{}' to lower; give /strategy/latency_table "
                                    "or a measured latency table (`bitlab hw profile`)", cost));
    const LatencyFunction latency = [&](const Genes& g) -> std::optional<double> {
      try {
        return ctx.costs(g).at(cost);
      } catch (const ConfigError&) {
        return std::nullopt;
      }
    };
    result_ = free_bits(ctx.space(), latency, start, accept);
  }
  ctx.evaluate(result_->genes, budget);
}

}  // namespace bitlab::search
