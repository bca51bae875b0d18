#pragma once
// Bayesian optimisation with a Gaussian process and expected improvement
// (docs/search.md §4.2). A candidate is encoded as x ∈ [0, 1]^D, one
// coordinate per knob: the chosen width's log2 scaled to the knob's range, so
// 2 → 4 → 8 bits are equally spaced steps and the kernel sees that w4 is
// between w2 and w8 (accuracy changes smoothly and monotonically in log-bits).
#include <Eigen/Dense>

#include "search/core/strategy.h"

namespace bitlab::search {

Eigen::VectorXd encode(const SearchSpace& space, const Genes& genes);

struct GpBoOptions {
  int budget = 1;            // epochs per trial
  int initial = 0;           // random trials before the GP; 0: max(4, D + 1)
  int candidates = 2048;     // acquisition candidates per step when the space is larger than this
  double xi = 0.0;           // EI exploration margin (score units)
};

class GpBo : public Strategy {
 public:
  explicit GpBo(GpBoOptions options = {}) : options_(options) {}
  [[nodiscard]] std::string name() const override { return "gp_bo"; }
  void run(SearchContext& ctx) override;

 private:
  GpBoOptions options_;
};

}  // namespace bitlab::search
