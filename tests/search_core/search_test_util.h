#pragma once
// Synthetic evaluators and spaces for the strategy tests: objectives with
// known optima and fronts, evaluated instantly.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "search/core/context.h"
#include "search/core/evaluator.h"

namespace bitlab::search::testing {

class FunctionEvaluator : public Evaluator {
 public:
  using Function = std::function<Evaluation(const SearchSpace&, const Genes&, int)>;
  explicit FunctionEvaluator(Function f) : f_(std::move(f)) {}
  Evaluation evaluate(const SearchSpace& space, const Genes& genes, int budget) override {
    ++calls;
    if (fail_after >= 0 && calls > fail_after) throw std::runtime_error("killed");
    return f_(space, genes, budget);
  }
  int calls = 0;
  int fail_after = -1;  // ≥ 0: throw on call fail_after + 1, like a killed search

 private:
  Function f_;
};

// `n` layers "l0".."l{n-1}", each a weight knob over `bits` and no activations.
inline SearchSpace weight_space(int n, std::vector<int> bits) {
  SearchSpace space;
  for (int i = 0; i < n; ++i) {
    std::string name = "l";  // not "l" + to_string(i): GCC 12 warns falsely (-Wrestrict) on that
    name += std::to_string(i);
    space.layers.push_back({name, bits, "", {}});
  }
  space.finalize();
  return space;
}

inline ContextOptions quiet(int max_trials, std::uint64_t seed = 1, std::string strategy = "test") {
  ContextOptions o;
  o.max_trials = max_trials;
  o.seed = seed;
  o.strategy = std::move(strategy);
  o.progress = false;
  return o;
}

}  // namespace bitlab::search::testing
