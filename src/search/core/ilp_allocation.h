#pragma once
// HAWQ-style bit allocation as an integer linear program solved by GLPK
// (Dong et al., HAWQ-V3, ICML 2021; docs/search.md §4.6):
//   minimise Σ_l Σ_j s_lj x_lj
//   s.t.     Σ_l Σ_j c^k_lj x_lj ≤ B_k   for every budget k
//            Σ_j x_lj = 1                 for every layer l
//            x_lj ∈ {0, 1}
// s_lj is layer l's sensitivity at option j (e.g. Hessian trace × quantisation
// perturbation), c^k_lj its share of cost k.
#include <optional>
#include <string>
#include <vector>

#include "search/core/strategy.h"

namespace bitlab::search {

struct IlpProblem {
  // sensitivity[l][j]: layer l, option j.
  std::vector<std::vector<double>> sensitivity;
  struct Budget {
    std::string name;
    std::vector<std::vector<double>> cost;  // cost[l][j]
    double limit = 0.0;
  };
  std::vector<Budget> budgets;
};

struct IlpSolution {
  std::vector<int> choice;  // option per layer
  double objective = 0.0;
  std::vector<double> costs;  // per budget, at the solution
};

// The optimum, or nullopt when no choice meets every budget. Throws
// std::invalid_argument for ragged tables and std::runtime_error when GLPK fails.
std::optional<IlpSolution> solve_bit_allocation(const IlpProblem& problem);

// HAWQ-V2/V3's sensitivity of a layer at `bits`: mean Hessian trace ×
// ‖Q_bits(W) − W‖², Q symmetric narrow-range per-tensor round-to-nearest
// with the scale max|W| / (2^(bits−1) − 1) (the policy's weight format).
double hawq_sensitivity(double mean_hessian_trace, const std::vector<float>& weights, int bits);

// A layer's options: every (weight bits, activation bits) pair of its knobs.
struct LayerOption {
  int weight_index = 0;      // into the layer's weight knob (0 without one)
  int activation_index = 0;  // into its activation knob
};
std::vector<std::vector<LayerOption>> layer_options(const SearchSpace& space);
Genes genes_of(const SearchSpace& space, const std::vector<std::vector<LayerOption>>& options,
               const std::vector<int>& choice);

struct HawqOptions {
  int budget = 1;  // epochs the chosen candidate is evaluated for
  // sensitivity[l][j] over layer_options(space), e.g. from hawq_sensitivity.
  std::vector<std::vector<double>> sensitivity;
};

// Builds the ILP from `sensitivity` and the context's cost budgets (each
// layer option's cost is its marginal cost over the all-lowest candidate,
// exact for costs that add up per layer — weight memory, parameter bits —
// and a first-order estimate for the others), solves it and evaluates the
// chosen candidate once.
class Hawq : public Strategy {
 public:
  explicit Hawq(HawqOptions options) : options_(std::move(options)) {}
  [[nodiscard]] std::string name() const override { return "hawq"; }
  void run(SearchContext& ctx) override;
  [[nodiscard]] const std::optional<Genes>& chosen() const { return chosen_; }

 private:
  HawqOptions options_;
  std::optional<Genes> chosen_;
};

}  // namespace bitlab::search
