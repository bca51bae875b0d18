#pragma once
// Precision policies: which quantiser (bits, algorithm, granularity, params)
// each layer of a network gets. Torch-free; docs/policies.md has the format.
//
//   {"algorithm": "lsq", "weights": 4, "activations": 4, "input": 8,
//    "layers": [{"match": "features.conv0_0", "weights": 8},
//               {"match": "re:classifier\\..*", "weights": {"bits": 8, "algorithm": "ste"}}]}
//
// or the shorthand string "w4a4". Later rules override earlier ones.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/quantizers/quantizer_options.h"

namespace bitlab::train {

// A partial choice: unset fields inherit from the policy default.
struct QuantizerChoice {
  std::optional<int> bits;
  std::optional<std::string> algorithm;
  std::optional<quant::Granularity> granularity;
  std::optional<nlohmann::json> params;
};

struct PolicyRule {
  std::string match;      // exact module name, or "re:<ECMAScript regex>" matched against the whole name
  std::string pointer;    // JSON Pointer of the rule, for error messages
  std::optional<QuantizerChoice> weights;
  std::optional<QuantizerChoice> activations;
  bool matches(const std::string& layer) const;
};

struct PrecisionPolicy {
  std::string source = "<policy>";  // file name, for error messages
  std::string algorithm = "ste";    // default algorithm for weights and activations
  QuantizerChoice weights;          // defaults: 8 bits, per-channel
  QuantizerChoice activations;      // defaults: 8 bits, per-tensor
  QuantizerChoice input;            // the network input: 8 bits, signed, STE by default
  std::vector<PolicyRule> layers;
};

PrecisionPolicy parse_policy(const nlohmann::json& json, const std::string& source);
PrecisionPolicy load_policy(const std::filesystem::path& path);
// "w4a4", "w8a8", "w2a4": the flat policy of those widths.
PrecisionPolicy flat_policy(int weight_bits, int activation_bits, const std::string& algorithm = "ste");
nlohmann::json to_json(const PrecisionPolicy& policy);

// Resolves the quantiser for `layer` in `role`. `used` (one flag per rule) records
// which rules applied, so unused rules can be reported as errors.
QuantizerOptions resolve_quantizer(const PrecisionPolicy& policy, const std::string& layer, TensorRole role,
                                   std::vector<bool>* used = nullptr);
QuantizerOptions resolve_input_quantizer(const PrecisionPolicy& policy);

// Throws ConfigError for the first rule that matched none of `layers`, naming it and listing the layers.
void check_all_rules_used(const PrecisionPolicy& policy, const std::vector<bool>& used,
                          const std::vector<std::string>& layers);

// The bits of a layer's weights / activations under the policy (for reports and cost models).
int weight_bits(const PrecisionPolicy& policy, const std::string& layer);
int activation_bits(const PrecisionPolicy& policy, const std::string& layer);

}  // namespace bitlab::train
