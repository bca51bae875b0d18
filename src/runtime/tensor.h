#pragma once
// Run-time tensors of the reference runtime: a shape and row-major values.
// The integer runtime holds codes and accumulators in int64 (every IR integer
// type fits); the float64 simulation holds the same integers as doubles.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/types.h"

namespace bitlab::runtime {

template <class T>
struct TensorOf {
  ir::Shape shape;
  std::vector<T> values;
  bool operator==(const TensorOf&) const = default;
};

using IntTensor = TensorOf<std::int64_t>;
using SimTensor = TensorOf<double>;

// Graph inputs / outputs by tensor name.
template <class T>
using TensorMapOf = std::map<std::string, TensorOf<T>>;
using IntTensorMap = TensorMapOf<std::int64_t>;
using SimTensorMap = TensorMapOf<double>;

}  // namespace bitlab::runtime
