#include "ir/passes/convert.h"

#include <fmt/format.h>

#include "ir/passes/canonicalise.h"
#include "ir/passes/conversion_error.h"
#include "ir/passes/fold_activations.h"
#include "ir/passes/fold_arithmetic.h"
#include "ir/passes/fold_batchnorm.h"
#include "ir/passes/graph_edit.h"
#include "ir/passes/harmonise.h"
#include "ir/passes/lift_collapsed_steps.h"
#include "ir/passes/propagate.h"
#include "ir/passes/requantise.h"
#include "ir/validate.h"

namespace bitlab::ir::passes {

Graph convert(const Graph& fake_quantised, const ConversionOptions& options) {
  const Graph prepared = lift_collapsed_steps(harmonise(fold_batchnorm(canonicalise(fake_quantised))));
  const Precisions precisions = propagate(prepared);
  Graph g = fold_activations(requantise(fold_arithmetic(prepared, precisions), options));
  validate_integer_graph(g);
  return g;
}

std::vector<InputQuantiser> input_quantisers(const Graph& fake_quantised_graph) {
  // The quant convert() keeps for an input is the canonical one (pass 1 may merge a chain).
  const Graph fake_quantised = canonicalise(fake_quantised_graph);
  std::vector<InputQuantiser> out;
  for (const std::string& x : fake_quantised.inputs) {
    const auto r = readers(fake_quantised, x);
    if (r.empty() || fake_quantised.nodes[r.front()].op != OpKind::Quant) {
      throw ConversionError(fmt::format("graph \"{}\": input \"{}\" is not read by a quant", fake_quantised.name, x));
    }
    const auto& a = fake_quantised.nodes[r.front()].attrs<QuantAttrs>();
    out.push_back({x, a.spec, a.rounding});
  }
  return out;
}

}  // namespace bitlab::ir::passes
