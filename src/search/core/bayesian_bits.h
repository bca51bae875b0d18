#pragma once
// Bayesian Bits as a search strategy (van Baalen et al., NeurIPS 2020;
// docs/search.md §4.8). The widths come from one training of the network with
// gated residual quantisers (train/quantizers/bayesian_bits.h) and a cost
// regulariser λ · E[bits], per λ: `bitlab search` runs that LibTorch step
// (search/bayesian_bits_search.h) before the strategy and hands it the
// deterministic widths. The strategy then trains each chosen candidate with
// the ordinary evaluator at `budget` epochs, so it lands in the trial log,
// front.json and policy.json like any other strategy's candidates.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/core/strategy.h"

namespace bitlab::search {

struct BayesianBitsOptions {
  int budget = 1;                        // QAT epochs of each chosen candidate's trial
  std::vector<double> lambdas = {0.05};  // cost weights; one gate training (and candidate) each
  int epochs = 1;                        // epochs of each gate training
  double threshold = 0.5;                // a gate is on when P(z ≠ 0) ≥ threshold
  double gate_init = 3.0;                // initial log α of every gate (open)
  // Adam learning rate of the log α's, stepped after the job's optimiser each
  // batch: the job's rate (≈ 1e-3) moves a gate too little in a few epochs.
  double gate_lr = 0.05;
  // The widths the gate trainings chose, one per λ (filled by `bitlab search`).
  std::vector<Genes> chosen;
};

class BayesianBits : public Strategy {
 public:
  explicit BayesianBits(BayesianBitsOptions options) : options_(std::move(options)) {}
  [[nodiscard]] std::string name() const override { return "bayesian_bits"; }
  // Evaluates every chosen candidate once (duplicates are one trial); a
  // ConfigError when no widths were given (run it through `bitlab search`).
  void run(SearchContext& ctx) override;
  [[nodiscard]] const BayesianBitsOptions& options() const { return options_; }

 private:
  BayesianBitsOptions options_;
};

// Every knob's widths must be a doubling chain b0, 2·b0, 4·b0, … (the widths
// the gates can give); ConfigError naming /space/layers otherwise.
void check_bayesian_bits_space(const SearchSpace& space, const std::string& source);

// The policy of the gate training: to_policy_json with every knob at its
// widest, each knob of more than one width quantised by "bayesian_bits" from
// its narrowest width (min_bits) to its widest, the rest as the space says.
nlohmann::json bayesian_bits_policy(const SearchSpace& space, const BayesianBitsOptions& options);

// The cache key of one gate training (λ, epochs, threshold, gate_init), so a
// rerun reuses it and a changed option retrains.
std::string bayesian_bits_key(const BayesianBitsOptions& options, double lambda);

}  // namespace bitlab::search
