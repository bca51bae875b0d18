#include "ir/passes/harmonise.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ir/passes/conversion_error.h"
#include "ir/passes/graph_edit.h"
#include "ir/passes/grid.h"
#include "ir/validate.h"

namespace bitlab::ir::passes {
namespace {

// v rounded up to an integer, except that a v within float64 noise of an
// integer is that integer (hi / s for hi = s·k computes as k·(1 ± 2^−52)).
double code_ceil(double v) {
  const double r = std::nearbyint(v);
  return std::abs(v - r) <= 1e-9 * std::max(1.0, std::abs(v)) ? r : std::ceil(v);
}

int bits_for(double lo_code, double hi_code, bool is_signed) {
  for (int b = 1; b <= quant::QuantSpec::kMaxBits; ++b) {
    if (is_signed && b >= 2 && -std::ldexp(1.0, b - 1) <= lo_code && hi_code <= std::ldexp(1.0, b - 1) - 1) return b;
    if (!is_signed && hi_code <= std::ldexp(1.0, b) - 1) return b;
  }
  return 0;
}

struct Branch {
  std::string tensor;
  quant::QuantSpec spec;
};

std::vector<Branch> branches(const Graph& g, const Node& n) {
  std::vector<Branch> out;
  for (std::size_t i = 0; i < n.inputs.size(); ++i) {
    auto grid = float_grid(g, n.inputs[i]);
    if (!grid || grid->granularity != quant::Granularity::PerTensor) {
      throw ConversionError(fmt::format("graph \"{}\": node \"{}\" ({}): input {} \"{}\" is not quantised per tensor; "
                                        "put a quant on every branch of an add or concat",
                                        g.name, n.name, to_string(n.op), i, n.inputs[i]));
    }
    out.push_back({n.inputs[i], *grid});
  }
  return out;
}

double real_min(const quant::QuantSpec& s) { return s.scales[0] * (s.qmin() - s.zero_point()); }
double real_max(const quant::QuantSpec& s) { return s.scales[0] * (s.qmax() - s.zero_point()); }

double finest(const std::vector<Branch>& bs) {
  double s = bs.front().spec.scales[0];
  for (const Branch& b : bs) s = std::min(s, b.spec.scales[0]);
  return s;
}

// Inserts quant(spec) between `tensor` and node `index`'s input slot(s) reading it.
void insert_branch_quant(Graph& g, std::size_t index, const std::string& tensor, const QuantAttrs& attrs) {
  const std::string out = unique_tensor_name(g, fmt::format("{}_h", tensor));
  g.add_tensor(float_tensor(out, g.tensor(tensor).shape));
  Node& consumer = g.nodes[index];
  for (std::string& in : consumer.inputs)
    if (in == tensor) in = out;
  Node q{unique_node_name(g, fmt::format("{}_harmonise", consumer.name)), OpKind::Quant, {tensor}, {out}, attrs};
  g.nodes.insert(g.nodes.begin() + static_cast<std::ptrdiff_t>(index), std::move(q));
}

// Returns the number of nodes inserted before `index`.
std::size_t harmonise_concat(Graph& g, std::size_t index) {
  const std::vector<Branch> bs = branches(g, g.nodes[index]);
  const std::string out = g.nodes[index].output();
  QuantAttrs target;
  std::optional<std::size_t> trailing;  // a quant that is the concat's only reader
  if (has_single_reader(g, out)) {
    const std::size_t r = readers(g, out).front();
    if (g.nodes[r].op == OpKind::Quant && g.nodes[r].attrs<QuantAttrs>().spec.granularity == quant::Granularity::PerTensor) {
      trailing = r;
      target = g.nodes[r].attrs<QuantAttrs>();
    }
  }
  if (!trailing) {
    double lo = 0.0, hi = 0.0;
    for (const Branch& b : bs) {
      lo = std::min(lo, real_min(b.spec));
      hi = std::max(hi, real_max(b.spec));
    }
    target.spec = common_grid(finest(bs), lo, hi);
    // Already on one grid: nothing to do.
    if (std::all_of(bs.begin(), bs.end(), [&](const Branch& b) { return same_grid(b.spec, bs.front().spec); })) return 0;
  }
  std::size_t inserted = 0;
  for (const Branch& b : bs) {
    if (same_grid(b.spec, target.spec)) continue;
    insert_branch_quant(g, index + inserted, b.tensor, target);
    ++inserted;
  }
  if (trailing) bypass_node(g, *trailing + inserted);  // now an identity: the concat is on Q's grid
  return inserted;
}

void harmonise_add(Graph& g, std::size_t index) {
  const std::vector<Branch> bs = branches(g, g.nodes[index]);
  const std::string out = g.nodes[index].output();
  if (has_single_reader(g, out) && g.nodes[readers(g, out).front()].op == OpKind::Quant) return;
  double lo = 0.0, hi = 0.0;  // the exact sum's range
  for (const Branch& b : bs) {
    lo += real_min(b.spec);
    hi += real_max(b.spec);
  }
  // add: ... → sum (new name) ; quant: sum → out (the old name, so readers and graph outputs keep it).
  const std::string sum = unique_tensor_name(g, fmt::format("{}_sum", out));
  g.add_tensor(float_tensor(sum, g.tensor(out).shape));
  g.nodes[index].outputs[0] = sum;
  Node q{unique_node_name(g, fmt::format("{}_harmonise", g.nodes[index].name)), OpKind::Quant, {sum}, {out},
         QuantAttrs{common_grid(finest(bs), lo, hi), quant::RoundingMode::HalfToEven}};
  g.nodes.insert(g.nodes.begin() + static_cast<std::ptrdiff_t>(index) + 1, std::move(q));
}

}  // namespace

quant::QuantSpec common_grid(double finest_scale, double lo, double hi) {
  quant::QuantSpec spec{.bits = 8, .is_signed = lo < 0.0, .symmetric = true, .scales = {finest_scale}};
  const double lo_code = -code_ceil(-lo / finest_scale);
  const double hi_code = code_ceil(hi / finest_scale);
  spec.bits = bits_for(lo_code, hi_code, spec.is_signed);
  if (spec.bits == 0) {  // more than 16 bits at the finest scale: widen the step instead
    spec.bits = quant::QuantSpec::kMaxBits;
    const double reach = spec.is_signed ? std::max(hi, -lo) : hi;
    spec.scales = {reach / static_cast<double>(spec.qmax())};
  }
  spec.validate();
  return spec;
}

Graph harmonise(const Graph& graph) {
  validate(graph);
  Graph g = graph;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].op == OpKind::Concat) {
      i += harmonise_concat(g, i);
    } else if (g.nodes[i].op == OpKind::Add) {
      harmonise_add(g, i);
    }
  }
  validate(g);
  return g;
}

}  // namespace bitlab::ir::passes
