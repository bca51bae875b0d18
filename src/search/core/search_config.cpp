#include "search/core/search_config.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"
#include "common/text.h"
#include "search/core/bayesian_bits.h"
#include "search/core/free_bits.h"
#include "search/core/gp_bo.h"
#include "search/core/hyperband.h"
#include "search/core/ilp_allocation.h"
#include "search/core/random_search.h"

namespace bitlab::search {

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names{"random", "gp_bo", "hyperband", "successive_halving",
                                              "nsga2", "hawq", "free_bits", "bayesian_bits"};
  return names;
}

namespace {

std::vector<MetricGoal> parse_goals(const JsonReader& reader, std::string_view key, std::vector<MetricGoal> fallback) {
  const nlohmann::json* raw = reader.raw(key);
  if (raw == nullptr) return fallback;
  if (!raw->is_array() || raw->size() < 2) reader.fail(key, "a list of at least two {\"metric\", \"maximise\"?}");
  std::vector<MetricGoal> goals;
  for (std::size_t i = 0; i < raw->size(); ++i) {
    JsonReader g((*raw)[i], reader.file(), reader.pointer_of(key) + "/" + std::to_string(i));
    const std::string metric = g.required_string("metric");
    goals.push_back({metric, g.boolean("maximise", metric == "accuracy")});
    g.finish();
  }
  return goals;
}

Objective parse_objective(const JsonReader& reader) {
  Objective o;
  if (auto f = reader.optional_object("forgiving")) {
    ForgivingFactor ff;
    ff.cost = f->string("cost", ff.cost);
    ff.delta_p = f->number("delta_p", ff.delta_p, 0.0, 1000.0);
    ff.delta_n = f->number("delta_n", ff.delta_n, 0.0, 1000.0);
    ff.rate = f->number("rate", ff.rate, 1.0 + 1e-9, 1e9);
    ff.stress = f->number("stress", ff.stress, 1e-9, 1e9);
    ff.reference_bits = static_cast<int>(f->integer("reference_bits", ff.reference_bits, 1, 32));
    if (f->has("reference_cost")) ff.reference_cost = f->number("reference_cost", 1.0, 1e-300, 1e300);
    f->finish();
    o.forgiving = ff;
  }
  if (auto b = reader.optional_object("budgets")) {
    const nlohmann::json* raw = reader.raw("budgets");
    for (const auto& [name, value] : raw->items()) o.constraints.budgets[name] = b->number(name, 0.0, 0.0, 1e300);
    b->finish();
  }
  if (reader.has("accuracy_floor")) o.constraints.accuracy_floor = reader.number("accuracy_floor", 0.0, 0.0, 1.0);
  return o;
}

// {"conv1": {"w2": 9, "w4": 3}} → sensitivity rows over layer_options(space).
std::vector<std::vector<double>> parse_sensitivity(const SearchSpace& space, const JsonReader& reader) {
  const auto options = layer_options(space);
  const nlohmann::json* raw = reader.raw("sensitivity");
  if (raw == nullptr || !raw->is_object())
    reader.fail("sensitivity", "an object {layer: {\"w4a8\": value, ...}} with every option of every layer");
  std::vector<std::vector<double>> rows(space.layers.size());
  for (std::size_t l = 0; l < space.layers.size(); ++l) {
    const auto& layer = space.layers[l];
    for (const auto& option : options[l]) {
      Genes g(space.knobs.size(), 0);
      for (std::size_t d = 0; d < space.knobs.size(); ++d)
        if (space.knobs[d].layer == static_cast<int>(l)) g[d] = space.knobs[d].weights ? option.weight_index : option.activation_index;
      const auto [w, a] = space.layer_bits(g, static_cast<int>(l));
      std::string label = (layer.weight_bits.empty() ? "" : fmt::format("w{}", w)) +
                          (layer.activation_bits.empty() ? "" : fmt::format("a{}", a));
      if (label.empty()) label = "fixed";
      const auto it = raw->find(layer.name);
      if (it == raw->end() || !it->is_object() || !it->contains(label) || !(*it)[label].is_number())
        reader.fail("sensitivity", fmt::format("a number at /{}/{} (one per option of each layer)", layer.name, label));
      rows[l].push_back((*it)[label].get<double>());
    }
  }
  for (const auto& [name, value] : raw->items()) {
    bool known = false;
    for (const auto& layer : space.layers) known |= layer.name == name;
    if (!known) reader.fail("sensitivity", fmt::format("layers of the space only ('{}' is not one)", name));
  }
  return rows;
}

}  // namespace

SearchConfig parse_search_config(const nlohmann::json& json, const std::string& source) {
  JsonReader reader(json, source);
  SearchConfig c;
  c.source = source;
  const nlohmann::json* space = reader.raw("space");
  if (space == nullptr) reader.fail("space", "the search space (docs/search.md §1)");
  c.space = parse_space(*space, source, "/space");
  if (auto o = reader.optional_object("objective")) {
    c.objective = parse_objective(*o);
    o->finish();
  }
  c.front = parse_goals(reader, "front", c.front);
  if (auto s = reader.optional_object("strategy")) {
    c.strategy = s->choice("name", c.strategy, strategy_names());
    c.strategy_options = *reader.raw("strategy");
    c.strategy_options.erase("name");
    // Each key is validated by make_strategy; mark them used here.
    for (const auto& [key, value] : c.strategy_options.items()) static_cast<void>(s->raw(key));
  }
  c.max_trials = static_cast<int>(reader.integer("max_trials", c.max_trials, 1, 1000000));
  c.seed = static_cast<std::uint64_t>(reader.integer("seed", 0, 0, std::numeric_limits<std::int64_t>::max()));
  c.output = reader.string("output", c.output.string());
  c.skip_cost_infeasible = reader.boolean("skip_cost_infeasible", c.skip_cost_infeasible);
  if (const nlohmann::json* refs = reader.raw("references")) {
    const char* expected = "a list of flat policies such as [\"w8a8\", \"w4a4\", \"w2a2\"] (weights 1-16, activations 1-16)";
    if (!refs->is_array()) reader.fail("references", expected);
    for (const auto& r : *refs) {
      const auto parsed = r.is_string() ? parse_flat_reference(r.get<std::string>()) : std::nullopt;
      if (!parsed) reader.fail("references", expected);
      c.references.push_back(*parsed);
    }
  }
  if (const auto* e = reader.raw("evaluator")) c.evaluator = *e;
  if (const auto* e = reader.raw("costs")) c.costs = *e;
  reader.finish();
  make_strategy(c);  // validate the strategy's options now
  return c;
}

SearchConfig load_search_config(const std::filesystem::path& path) {
  return parse_search_config(JsonReader::parse_file(path), path.string());
}

namespace {

BayesianBitsOptions parse_bayesian_bits(const SearchConfig& config, const JsonReader& s) {
  BayesianBitsOptions o;
  o.budget = static_cast<int>(s.integer("budget", o.budget, 1, 100000));
  o.epochs = static_cast<int>(s.integer("epochs", o.epochs, 1, 100000));
  o.threshold = s.number("threshold", o.threshold, 1e-6, 1.0 - 1e-6);
  o.gate_init = s.number("gate_init", o.gate_init, -50.0, 50.0);
  o.gate_lr = s.number("gate_lr", o.gate_lr, 0.0, 10.0);
  if (const nlohmann::json* lambda = s.raw("lambda")) {
    const nlohmann::json list = lambda->is_array() ? *lambda : nlohmann::json::array({*lambda});
    if (list.empty()) s.fail("lambda", "a cost weight ≥ 0 or a non-empty list of them");
    o.lambdas.clear();
    for (const auto& l : list) {
      if (!l.is_number() || l.get<double>() < 0.0) s.fail("lambda", "a cost weight ≥ 0 or a non-empty list of them");
      o.lambdas.push_back(l.get<double>());
    }
  }
  check_bayesian_bits_space(config.space, config.source);
  // The widths the gate trainings chose, one bits object per λ (`bitlab search` fills them).
  if (const nlohmann::json* widths = s.raw("widths")) {
    if (!widths->is_array()) s.fail("widths", "a list of {layer: {\"weights\", \"activations\"}}, one per lambda");
    for (std::size_t i = 0; i < widths->size(); ++i)
      o.chosen.push_back(from_bits_json(config.space, (*widths)[i],
                                        fmt::format("{} {}/{}", config.source, s.pointer_of("widths"), i)));
  }
  return o;
}

}  // namespace

std::unique_ptr<Strategy> make_strategy(const SearchConfig& config) {
  JsonReader s(config.strategy_options, config.source, "/strategy");
  const auto epochs = [&](std::string_view key, int fallback) {
    return static_cast<int>(s.integer(key, fallback, 1, 100000));
  };
  std::unique_ptr<Strategy> strategy;
  if (config.strategy == "random") {
    strategy = std::make_unique<RandomSearch>(RandomSearchOptions{epochs("budget", 1)});
  } else if (config.strategy == "gp_bo") {
    GpBoOptions o;
    o.budget = epochs("budget", 1);
    o.initial = static_cast<int>(s.integer("initial", 0, 0, 100000));
    o.candidates = static_cast<int>(s.integer("candidates", o.candidates, 16, 1000000));
    o.xi = s.number("xi", 0.0, 0.0, 1.0);
    strategy = std::make_unique<GpBo>(o);
  } else if (config.strategy == "hyperband" || config.strategy == "successive_halving") {
    HyperbandOptions o;
    o.min_budget = epochs("min_budget", o.min_budget);
    o.max_budget = epochs("max_budget", o.max_budget);
    o.eta = static_cast<int>(s.integer("eta", o.eta, 2, 100));
    o.hyperband = config.strategy == "hyperband";
    o.continue_trials = s.boolean("continue_trials", o.continue_trials);
    if (o.max_budget < o.min_budget) s.fail("max_budget", fmt::format("at least min_budget ({})", o.min_budget));
    strategy = std::make_unique<Hyperband>(o);
  } else if (config.strategy == "nsga2") {
    Nsga2Options o;
    o.budget = epochs("budget", 1);
    o.population = static_cast<int>(s.integer("population", o.population, 4, 100000));
    o.generations = static_cast<int>(s.integer("generations", o.generations, 1, 100000));
    o.objectives = parse_goals(s, "objectives", config.front);
    o.crossover_probability = s.number("crossover_probability", o.crossover_probability, 0.0, 1.0);
    o.mutation_probability = s.number("mutation_probability", 0.0, 0.0, 1.0);
    strategy = std::make_unique<Nsga2>(o);
  } else if (config.strategy == "hawq") {
    HawqOptions o;
    o.budget = epochs("budget", 1);
    o.sensitivity = parse_sensitivity(config.space, s);
    strategy = std::make_unique<Hawq>(o);
  } else if (config.strategy == "free_bits") {
    FreeBitsOptions o;
    o.budget = epochs("budget", 1);
    // A per-layer table file, or else a cost of the cost model (a measured latency table, an analytical model).
    if (s.has("latency_table")) o.table = load_latency_table(s.required_string("latency_table"));
    o.latency_cost = s.string("latency_cost", o.latency_cost);
    o.accuracy_tolerance = s.number("accuracy_tolerance", 0.0, 0.0, 1.0);
    if (const auto* start = s.raw("start")) o.start = from_bits_json(config.space, *start, config.source + " /strategy/start");
    strategy = std::make_unique<FreeBits>(o);
  } else if (config.strategy == "bayesian_bits") {
    strategy = std::make_unique<BayesianBits>(parse_bayesian_bits(config, s));
  } else {
    throw ConfigError(fmt::format("{}: /strategy/name: unknown strategy '{}' (one of {})", config.source,
                                  config.strategy, join(strategy_names())));
  }
  s.finish();
  return strategy;
}

}  // namespace bitlab::search
