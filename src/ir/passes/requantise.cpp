#include "ir/passes/requantise.h"

#include <stdexcept>

#include <fmt/format.h>

#include "ir/passes/conversion_error.h"
#include "ir/requant_params.h"
#include "ir/validate.h"

namespace bitlab::ir::passes {

Graph requantise(const IntegerDraft& draft, const ConversionOptions& options) {
  Graph g = draft.graph;
  for (Node& n : g.nodes) {
    try {
      if (n.op == OpKind::Requant) {
        const RequantAttrs clamp = n.attrs<RequantAttrs>();
        const RealRequant& real = draft.requants.at(n.name);
        n.attributes = make_requant(real.multipliers, quant::OutputClamp{clamp.lo, clamp.hi}, real.axis, options.dyadic);
      } else if (n.op == OpKind::Add) {
        const AddRequant clamp = *n.attrs<AddAttrs>().requant;
        const RealAdd& real = draft.adds.at(n.name);
        n.attributes = AddAttrs{make_add_requant(real.input_scales, real.output_scale,
                                                 quant::OutputClamp{clamp.lo, clamp.hi}, options.dyadic)};
      }
    } catch (const std::out_of_range&) {
      throw ConversionError(fmt::format("graph \"{}\": node \"{}\" ({}) has no real multipliers in the draft", g.name,
                                        n.name, to_string(n.op)));
    } catch (const std::invalid_argument& e) {
      throw ConversionError(fmt::format("graph \"{}\": node \"{}\" ({}): {}", g.name, n.name, to_string(n.op), e.what()));
    }
  }
  validate_integer_graph(g);
  return g;
}

}  // namespace bitlab::ir::passes
