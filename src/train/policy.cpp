#include "train/policy.h"

#include <regex>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"
#include "common/text.h"
#include "train/quantizers/catalog.h"

namespace bitlab::train {
namespace {

// "w4a8" / "w4" / "a8" -> bits; anything else is an error naming the field.
std::pair<std::optional<int>, std::optional<int>> parse_shorthand(const std::string& text, const std::string& where) {
  static const std::regex pattern(R"((?:w(\d+))?(?:a(\d+))?)");
  std::smatch m;
  if (text.empty() || !std::regex_match(text, m, pattern)) {
    throw ConfigError(fmt::format("{}: expected a shorthand like \"w4a4\", \"w8\" or \"a2\", got \"{}\"", where, text));
  }
  auto bits = [&](const std::ssub_match& s) -> std::optional<int> {
    if (!s.matched) return std::nullopt;
    int b = std::stoi(s.str());
    if (b < 1 || b > 16) throw ConfigError(fmt::format("{}: \"{}\": bits must be 1 to 16", where, text));
    return b;
  };
  return {bits(m[1]), bits(m[2])};
}

QuantizerChoice parse_choice(const JsonReader& parent, const std::string& key) {
  const nlohmann::json* v = parent.raw(key);
  QuantizerChoice c;
  if (!v) return c;
  if (v->is_number_integer()) {
    c.bits = static_cast<int>(parent.integer(key, 8, 1, 16));
    return c;
  }
  if (!v->is_object()) parent.fail(key, "a bit width (1 to 16) or an object {bits, algorithm, granularity, params}");
  JsonReader r(*v, parent.file(), parent.pointer_of(key));
  if (r.has("bits")) c.bits = static_cast<int>(r.integer("bits", 8, 1, 16));
  if (r.has("algorithm")) c.algorithm = r.choice("algorithm", "ste", quantizer_algorithms());
  if (r.has("granularity")) {
    c.granularity = r.choice("granularity", "per_tensor", {"per_tensor", "per_channel"}) == "per_channel"
                        ? quant::Granularity::PerChannel
                        : quant::Granularity::PerTensor;
  }
  if (const nlohmann::json* p = r.raw("params")) {
    if (!p->is_object()) r.fail("params", "an object");
    c.params = *p;
  }
  r.finish();
  return c;
}

void overlay(QuantizerChoice& base, const QuantizerChoice& over) {
  if (over.bits) base.bits = over.bits;
  if (over.algorithm) base.algorithm = over.algorithm;
  if (over.granularity) base.granularity = over.granularity;
  if (over.params) base.params = over.params;
}

nlohmann::json choice_json(const QuantizerChoice& c) {
  nlohmann::json j = nlohmann::json::object();
  if (c.bits) j["bits"] = *c.bits;
  if (c.algorithm) j["algorithm"] = *c.algorithm;
  if (c.granularity) j["granularity"] = *c.granularity == quant::Granularity::PerChannel ? "per_channel" : "per_tensor";
  if (c.params) j["params"] = *c.params;
  return j;
}

QuantizerOptions to_options(const PrecisionPolicy& policy, const QuantizerChoice& c, TensorRole role,
                            quant::Granularity default_granularity) {
  QuantizerOptions o;
  o.role = role;
  o.bits = c.bits.value_or(8);
  o.algorithm = c.algorithm.value_or(policy.algorithm);
  // Per-channel is the default for weights only where the algorithm supports it;
  // asking for it explicitly where it does not stays an error (from the algorithm).
  const AlgorithmInfo* info = find_algorithm(o.algorithm);
  if (info && !info->per_channel) default_granularity = quant::Granularity::PerTensor;
  o.granularity = c.granularity.value_or(default_granularity);
  o.params = c.params.value_or(nlohmann::json::object());
  if (role == TensorRole::kWeight) {
    o.is_signed = true;
    o.narrow_range = o.bits > 1;
  }
  return o;
}

}  // namespace

bool PolicyRule::matches(const std::string& layer) const {
  if (match.rfind("re:", 0) == 0) return std::regex_match(layer, std::regex(match.substr(3)));
  return layer == match;
}

PrecisionPolicy parse_policy(const nlohmann::json& json, const std::string& source) {
  PrecisionPolicy p;
  p.source = source;
  if (json.is_string()) {
    auto [w, a] = parse_shorthand(json.get<std::string>(), source);
    p.weights.bits = w.value_or(8);
    p.activations.bits = a.value_or(8);
    return p;
  }
  JsonReader r(json, source);
  p.algorithm = r.choice("algorithm", p.algorithm, quantizer_algorithms());
  if (r.has("default")) {
    std::string text = r.string("default", "");
    auto [w, a] = parse_shorthand(text, source + ": " + r.pointer_of("default"));
    if (w) p.weights.bits = w;
    if (a) p.activations.bits = a;
  }
  overlay(p.weights, parse_choice(r, "weights"));
  overlay(p.activations, parse_choice(r, "activations"));
  p.input = parse_choice(r, "input");
  if (const nlohmann::json* layers = r.raw("layers")) {
    if (!layers->is_array()) r.fail("layers", "an array of rules {match, weights, activations}");
    for (size_t i = 0; i < layers->size(); ++i) {
      std::string pointer = r.pointer_of("layers") + "/" + std::to_string(i);
      JsonReader rule_reader((*layers)[i], source, pointer);
      PolicyRule rule;
      rule.pointer = pointer;
      rule.match = rule_reader.required_string("match");
      if (rule.match.rfind("re:", 0) == 0) {
        try {
          std::regex check(rule.match.substr(3));
        } catch (const std::regex_error& e) {
          rule_reader.fail("match", fmt::format("a valid regular expression ({})", e.what()));
        }
      }
      if (rule_reader.has("weights")) rule.weights = parse_choice(rule_reader, "weights");
      if (rule_reader.has("activations")) rule.activations = parse_choice(rule_reader, "activations");
      rule_reader.finish();  // first, so a misspelt "wieghts" is reported as such
      if (!rule.weights && !rule.activations) rule_reader.fail("weights", "\"weights\" and/or \"activations\" in each rule");
      p.layers.push_back(std::move(rule));
    }
  }
  r.finish();
  return p;
}

PrecisionPolicy load_policy(const std::filesystem::path& path) {
  return parse_policy(JsonReader::parse_file(path), path.string());
}

PrecisionPolicy flat_policy(int weight_bits, int activation_bits, const std::string& algorithm) {
  PrecisionPolicy p;
  p.source = fmt::format("w{}a{}", weight_bits, activation_bits);
  p.algorithm = algorithm;
  p.weights.bits = weight_bits;
  p.activations.bits = activation_bits;
  return p;
}

nlohmann::json to_json(const PrecisionPolicy& p) {
  nlohmann::json j = {{"algorithm", p.algorithm},
                      {"weights", choice_json(p.weights)},
                      {"activations", choice_json(p.activations)},
                      {"input", choice_json(p.input)},
                      {"layers", nlohmann::json::array()}};
  for (const auto& rule : p.layers) {
    nlohmann::json r = {{"match", rule.match}};
    if (rule.weights) r["weights"] = choice_json(*rule.weights);
    if (rule.activations) r["activations"] = choice_json(*rule.activations);
    j["layers"].push_back(r);
  }
  return j;
}

QuantizerOptions resolve_quantizer(const PrecisionPolicy& policy, const std::string& layer, TensorRole role,
                                   std::vector<bool>* used) {
  QuantizerChoice choice = role == TensorRole::kWeight ? policy.weights : policy.activations;
  for (size_t i = 0; i < policy.layers.size(); ++i) {
    const auto& rule = policy.layers[i];
    const auto& part = role == TensorRole::kWeight ? rule.weights : rule.activations;
    if (!part || !rule.matches(layer)) continue;
    overlay(choice, *part);
    if (used) (*used)[i] = true;
  }
  return to_options(policy, choice, role,
                    role == TensorRole::kWeight ? quant::Granularity::PerChannel : quant::Granularity::PerTensor);
}

QuantizerOptions resolve_input_quantizer(const PrecisionPolicy& policy) {
  QuantizerChoice choice = policy.input;
  if (!choice.algorithm) choice.algorithm = "ste";
  auto o = to_options(policy, choice, TensorRole::kActivation, quant::Granularity::PerTensor);
  o.is_signed = true;  // normalised images are signed
  return o;
}

void check_all_rules_used(const PrecisionPolicy& policy, const std::vector<bool>& used,
                          const std::vector<std::string>& layers) {
  for (size_t i = 0; i < policy.layers.size(); ++i) {
    if (used[i]) continue;
    const auto& rule = policy.layers[i];
    std::string hint = closest_match(rule.match, layers);
    throw ConfigError(fmt::format("{}: {}/match: \"{}\" names no quantisable layer of this network{}; layers: {}",
                                  policy.source, rule.pointer, rule.match,
                                  hint.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", hint), join(layers)));
  }
}

int weight_bits(const PrecisionPolicy& policy, const std::string& layer) {
  return resolve_quantizer(policy, layer, TensorRole::kWeight).bits;
}

int activation_bits(const PrecisionPolicy& policy, const std::string& layer) {
  return resolve_quantizer(policy, layer, TensorRole::kActivation).bits;
}

}  // namespace bitlab::train
