#pragma once
// The float64 simulation of an integer graph: the same ops evaluated the way a
// float training framework would (double tensors, multiply-add, floor), with
// every requantisation modelled per docs/integer-spec.md §9.4 as
// ⌊fl64(v · (m·2^−s) + 0.5)⌋. Tensors hold the integer codes as doubles
// (dequantise() gives the fake-quantised reals s·(q − z)). Whenever double
// arithmetic could stop being exact (|values| reaching 2^53) it throws
// SimulationRangeError instead of returning a different answer, so where it
// returns it must agree bit for bit with run_reference: the oracle for
// checking a conversion.
#include <stdexcept>
#include <vector>

#include "ir/graph.h"
#include "runtime/tensor.h"

namespace bitlab::runtime {

class SimulationRangeError : public std::range_error {
 public:
  using std::range_error::range_error;
};

// Same contract as run_reference, with inputs as integral doubles.
SimTensorMap run_simulation(const ir::Graph& graph, const SimTensorMap& inputs);

// The real values fl64(s_c · (q − z_c)) of `codes` under `info`'s quantisation (§5).
std::vector<double> dequantise(const SimTensor& codes, const ir::Tensor& info);

// Exact conversions between the two value types (throws std::invalid_argument
// for a double that is not an integer of magnitude < 2^53).
SimTensorMap to_sim(const IntTensorMap& tensors);
IntTensorMap to_int(const SimTensorMap& tensors);

}  // namespace bitlab::runtime
