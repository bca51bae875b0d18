#include "search/core/ilp_allocation.h"

#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace bitlab::search {

std::optional<IlpSolution> solve_bit_allocation(const IlpProblem& problem) {
  const std::size_t layers = problem.sensitivity.size();
  for (const auto& b : problem.budgets) {
    if (b.cost.size() != layers) throw std::invalid_argument("solve_bit_allocation: budget '" + b.name + "' has a wrong layer count");
    for (std::size_t l = 0; l < layers; ++l)
      if (b.cost[l].size() != problem.sensitivity[l].size())
        throw std::invalid_argument(fmt::format("solve_bit_allocation: budget '{}' layer {}: option count differs", b.name, l));
  }
  std::unique_ptr<glp_prob, void (*)(glp_prob*)> lp(glp_create_prob(), glp_delete_prob);
  glp_set_obj_dir(lp.get(), GLP_MIN);
  // Columns: x_lj in layer-major order.
  std::vector<std::pair<std::size_t, std::size_t>> columns;
  for (std::size_t l = 0; l < layers; ++l)
    for (std::size_t j = 0; j < problem.sensitivity[l].size(); ++j) columns.emplace_back(l, j);
  if (columns.empty()) return IlpSolution{};
  glp_add_cols(lp.get(), static_cast<int>(columns.size()));
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const int col = static_cast<int>(c) + 1;
    glp_set_col_kind(lp.get(), col, GLP_BV);
    glp_set_obj_coef(lp.get(), col, problem.sensitivity[columns[c].first][columns[c].second]);
  }
  const int rows = static_cast<int>(layers + problem.budgets.size());
  glp_add_rows(lp.get(), rows);
  // GLPK arrays are 1-based; element 0 is unused.
  std::vector<int> ia{0}, ja{0};
  std::vector<double> ar{0.0};
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const int col = static_cast<int>(c) + 1;
    ia.push_back(static_cast<int>(columns[c].first) + 1);
    ja.push_back(col);
    ar.push_back(1.0);
    for (std::size_t k = 0; k < problem.budgets.size(); ++k) {
      const double cost = problem.budgets[k].cost[columns[c].first][columns[c].second];
      if (cost == 0.0) continue;
      ia.push_back(static_cast<int>(layers + k) + 1);
      ja.push_back(col);
      ar.push_back(cost);
    }
  }
  for (std::size_t l = 0; l < layers; ++l) glp_set_row_bnds(lp.get(), static_cast<int>(l) + 1, GLP_FX, 1.0, 1.0);
  for (std::size_t k = 0; k < problem.budgets.size(); ++k)
    glp_set_row_bnds(lp.get(), static_cast<int>(layers + k) + 1, GLP_UP, 0.0, problem.budgets[k].limit);
  glp_load_matrix(lp.get(), static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());

  glp_iocp parameters;
  glp_init_iocp(&parameters);
  parameters.presolve = GLP_ON;  // solves the LP relaxation itself
  parameters.msg_lev = GLP_MSG_OFF;
  parameters.mip_gap = 0.0;      // the optimum, not a near-optimum: the tables are small
  const int status = glp_intopt(lp.get(), &parameters);
  const int mip_status = glp_mip_status(lp.get());
  if (status == GLP_ENOPFS || status == GLP_ENODFS || mip_status == GLP_NOFEAS) return std::nullopt;
  if (status != 0 || mip_status != GLP_OPT)
    throw std::runtime_error(fmt::format("GLPK failed on the bit-allocation ILP (glp_intopt {}, status {})", status, mip_status));

  IlpSolution solution;
  solution.choice.assign(layers, -1);
  for (std::size_t c = 0; c < columns.size(); ++c)
    if (glp_mip_col_val(lp.get(), static_cast<int>(c) + 1) > 0.5) solution.choice[columns[c].first] = static_cast<int>(columns[c].second);
  solution.objective = 0.0;
  for (std::size_t l = 0; l < layers; ++l) solution.objective += problem.sensitivity[l][static_cast<std::size_t>(solution.choice[l])];
  for (const auto& b : problem.budgets) {
    double total = 0.0;
    for (std::size_t l = 0; l < layers; ++l) total += b.cost[l][static_cast<std::size_t>(solution.choice[l])];
    solution.costs.push_back(total);
  }
  return solution;
}

double hawq_sensitivity(double mean_hessian_trace, const std::vector<float>& weights, int bits) {
  if (bits < 2 || bits > 32) throw std::invalid_argument("hawq_sensitivity: bits must be in [2, 32]");
  if (bits == 32) return 0.0;
  double max_abs = 0.0;
  for (float w : weights) max_abs = std::max(max_abs, std::abs(static_cast<double>(w)));
  if (max_abs == 0.0) return 0.0;
  const double levels = std::ldexp(1.0, bits - 1) - 1.0;
  const double scale = max_abs / levels;
  double perturbation = 0.0;
  for (float w : weights) {
    const double q = std::clamp(std::nearbyint(w / scale), -levels, levels) * scale;
    perturbation += (q - w) * (q - w);
  }
  return mean_hessian_trace * perturbation;
}

std::vector<std::vector<LayerOption>> layer_options(const SearchSpace& space) {
  std::vector<int> weight_knob(space.layers.size(), -1), activation_knob(space.layers.size(), -1);
  for (std::size_t d = 0; d < space.knobs.size(); ++d)
    (space.knobs[d].weights ? weight_knob : activation_knob)[static_cast<std::size_t>(space.knobs[d].layer)] = static_cast<int>(d);
  std::vector<std::vector<LayerOption>> options(space.layers.size());
  for (std::size_t l = 0; l < space.layers.size(); ++l) {
    const int nw = weight_knob[l] < 0 ? 1 : static_cast<int>(space.knobs[static_cast<std::size_t>(weight_knob[l])].bits.size());
    const int na = activation_knob[l] < 0 ? 1 : static_cast<int>(space.knobs[static_cast<std::size_t>(activation_knob[l])].bits.size());
    for (int w = 0; w < nw; ++w)
      for (int a = 0; a < na; ++a) options[l].push_back({w, a});
  }
  return options;
}

Genes genes_of(const SearchSpace& space, const std::vector<std::vector<LayerOption>>& options,
               const std::vector<int>& choice) {
  Genes genes(space.knobs.size(), 0);
  for (std::size_t d = 0; d < space.knobs.size(); ++d) {
    const auto l = static_cast<std::size_t>(space.knobs[d].layer);
    const auto& option = options[l][static_cast<std::size_t>(choice[l])];
    genes[d] = space.knobs[d].weights ? option.weight_index : option.activation_index;
  }
  return genes;
}

void Hawq::run(SearchContext& ctx) {
  const SearchSpace& space = ctx.space();
  const auto options = layer_options(space);
  if (options_.sensitivity.size() != options.size())
    throw std::invalid_argument(fmt::format("hawq: {} sensitivity rows for {} layers", options_.sensitivity.size(), options.size()));
  IlpProblem problem;
  problem.sensitivity = options_.sensitivity;
  const Genes base(space.knobs.size(), 0);  // every knob at its lowest width
  const auto base_costs = ctx.costs(base);
  for (const auto& [name, limit] : ctx.objective().constraints.budgets) {
    if (!base_costs.count(name))
      throw std::invalid_argument("hawq: the cost model has no cost '" + name + "' to budget");
    IlpProblem::Budget budget{name, {}, limit - base_costs.at(name)};
    for (std::size_t l = 0; l < options.size(); ++l) {
      std::vector<double> row;
      for (std::size_t j = 0; j < options[l].size(); ++j) {
        std::vector<int> choice(options.size(), 0);
        choice[l] = static_cast<int>(j);
        row.push_back(ctx.costs(genes_of(space, options, choice)).at(name) - base_costs.at(name));
      }
      budget.cost.push_back(std::move(row));
    }
    problem.budgets.push_back(std::move(budget));
  }
  const auto solution = solve_bit_allocation(problem);
  if (!solution) throw std::runtime_error("hawq: no bit allocation meets the budgets (even the lowest widths break one)");
  chosen_ = genes_of(space, options, solution->choice);
  ctx.evaluate(*chosen_, options_.budget);
}

}  // namespace bitlab::search
