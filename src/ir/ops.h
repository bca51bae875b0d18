#pragma once
// The ops of the IR and their attributes. The same op kinds describe the
// fake-quantised float graph (before conversion) and the integer graph (after);
// which one a node is follows from its tensors' element types. Integer
// semantics: docs/integer-spec.md §14. JSON form: docs/formats.md.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ir/types.h"
#include "quant/dyadic.h"
#include "quant/rounding.h"
#include "quant/spec.h"

namespace bitlab::ir {

enum class OpKind : std::uint8_t {
  // Float-only, present before conversion.
  Quant,      // fake quantisation of a float tensor with a QuantSpec
  BatchNorm,  // y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel (axis 1)
  Relu,
  // Float or integer.
  Conv2d,     // NCHW, weights [O, I/groups, kh, kw], optional bias [O]
  Linear,     // [N, in] x weights [out, in] (+ bias [out]) -> [N, out]
  Add,        // element-wise sum of >= 2 same-shape inputs
  Concat,
  AvgPool,    // 2-D over NCHW
  MaxPool,    // 2-D over NCHW
  Flatten,
  Reshape,
  // Integer-only.
  Requant,    // accumulator or code tensor -> codes on a new grid (§9, §14.9)
  Clip,       // codes clamped to [lo, hi] (§10.2, §14.10)
};

std::string_view to_string(OpKind op);
// Throws GraphError listing the known names.
OpKind op_kind_from_string(std::string_view name);
// Float-only ops cannot appear in an integer graph; integer-only ops not in a float one.
bool is_float_only(OpKind op);
bool is_integer_only(OpKind op);

// (height, width) pairs for 2-D ops.
using Pair = std::array<std::int64_t, 2>;

struct QuantAttrs {
  quant::QuantSpec spec = {};
  quant::RoundingMode rounding = quant::RoundingMode::HalfToEven;
  bool operator==(const QuantAttrs&) const = default;
};

struct BatchNormAttrs {
  double epsilon = 1e-5;
  bool operator==(const BatchNormAttrs&) const = default;
};

struct ReluAttrs {
  bool operator==(const ReluAttrs&) const = default;
};

struct Conv2dAttrs {
  Pair stride{1, 1};
  Pair padding{0, 0};  // zeros added on both sides of each spatial dim
  Pair dilation{1, 1};
  std::int64_t groups = 1;  // groups = in channels = out channels: depthwise
  // Float graphs: how the float weights will be quantised at conversion.
  std::optional<quant::QuantSpec> weight_quant = std::nullopt;
  bool operator==(const Conv2dAttrs&) const = default;
};

struct LinearAttrs {
  std::optional<quant::QuantSpec> weight_quant = std::nullopt;  // as for Conv2dAttrs
  bool operator==(const LinearAttrs&) const = default;
};

// Integer add (§14.3): t = (Σ_i (x_i − z_i)·m_i + 2^(s−1)) >> s, y = clamp(t + z_y, lo, hi).
struct AddRequant {
  std::vector<std::int64_t> multipliers = {};  // one m_i per input
  int shift = 0;                          // the common s
  std::int32_t lo = 0;
  std::int32_t hi = 0;
  bool operator==(const AddRequant&) const = default;
};

struct AddAttrs {
  std::optional<AddRequant> requant = std::nullopt;  // required in integer graphs, absent in float ones
  bool operator==(const AddAttrs&) const = default;
};

struct ConcatAttrs {
  std::int64_t axis = 1;
  bool operator==(const ConcatAttrs&) const = default;
};

// AvgPool and MaxPool; floor output size (no ceil mode).
struct PoolAttrs {
  Pair kernel{2, 2};
  Pair stride{2, 2};
  Pair padding{0, 0};
  bool operator==(const PoolAttrs&) const = default;
};

struct FlattenAttrs {
  std::int64_t axis = 1;  // dims [axis, rank) become one
  bool operator==(const FlattenAttrs&) const = default;
};

struct ReshapeAttrs {
  Shape shape = {};  // at most one -1, inferred from the element count
  bool operator==(const ReshapeAttrs&) const = default;
};

// Integer requantisation (§14.9): per channel c along `axis` (or one for all),
// y = clamp(((x − z_x)·m_c + 2^(s_c−1)) >> s_c) + z_y, lo, hi).
struct RequantAttrs {
  std::vector<quant::DyadicMultiplier> multipliers = {};
  int axis = 1;  // read when there is more than one multiplier
  std::int32_t lo = 0;
  std::int32_t hi = 0;
  bool operator==(const RequantAttrs&) const = default;
};

struct ClipAttrs {
  std::int32_t lo = 0;
  std::int32_t hi = 0;
  bool operator==(const ClipAttrs&) const = default;
};

using Attributes = std::variant<QuantAttrs, BatchNormAttrs, ReluAttrs, Conv2dAttrs, LinearAttrs, AddAttrs,
                                ConcatAttrs, PoolAttrs, FlattenAttrs, ReshapeAttrs, RequantAttrs, ClipAttrs>;

// Default-constructed attributes of the type `op` uses.
Attributes default_attributes(OpKind op);
// True when `attributes` holds the type `op` uses.
bool attributes_match(OpKind op, const Attributes& attributes);

struct Node {
  std::string name;
  OpKind op = OpKind::Relu;
  std::vector<std::string> inputs;   // tensor names, in the op's order
  std::vector<std::string> outputs;  // every op has exactly one output
  Attributes attributes = ReluAttrs{};

  // The attributes as T; throws GraphError naming the node when they are another type.
  template <class T>
  [[nodiscard]] const T& attrs() const {
    if (const T* a = std::get_if<T>(&attributes)) return *a;
    throw_wrong_attributes();
  }
  [[nodiscard]] const std::string& output() const { return outputs.at(0); }

  bool operator==(const Node&) const = default;

 private:
  [[noreturn]] void throw_wrong_attributes() const;
};

}  // namespace bitlab::ir
