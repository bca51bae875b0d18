#include "ir/json_format.h"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"
#include "ir/error.h"
#include "ir/weights_blob.h"

namespace bitlab::ir {
namespace {

using nlohmann::json;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

constexpr std::int64_t kMaxDim = std::int64_t{1} << 31;
constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;
constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

const std::vector<std::string> kRoundingNames = {"half_to_even", "half_away_from_zero", "floor", "stochastic"};

// ---- small readers the strict JsonReader does not have ---------------------

std::vector<double> numbers(const JsonReader& r, std::string_view key, std::size_t min_count) {
  const json* v = r.raw(key);
  const std::string expectation = fmt::format("an array of at least {} numbers", min_count);
  if (!v || !v->is_array() || v->size() < min_count) r.fail(key, expectation);
  std::vector<double> out;
  for (const json& item : *v) {
    if (!item.is_number()) r.fail(key, expectation);
    out.push_back(item.get<double>());
  }
  return out;
}

std::vector<std::string> strings(const JsonReader& r, std::string_view key) {
  const json* v = r.raw(key);
  if (!v || !v->is_array()) r.fail(key, "an array of strings");
  std::vector<std::string> out;
  for (const json& item : *v) {
    if (!item.is_string()) r.fail(key, "an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Pair pair(const JsonReader& r, std::string_view key, Pair fallback, std::int64_t min) {
  const auto v = r.integers(key, {fallback[0], fallback[1]}, min, kMaxDim, 2, 2);
  return {v[0], v[1]};
}

std::vector<JsonReader> objects(const JsonReader& r, std::string_view key) {
  const json* v = r.raw(key);
  if (!v || !v->is_array()) r.fail(key, "an array of objects");
  std::vector<JsonReader> out;
  for (std::size_t i = 0; i < v->size(); ++i) out.emplace_back((*v)[i], r.file(), fmt::format("{}/{}", r.pointer_of(key), i));
  return out;
}

std::int32_t int32(const JsonReader& r, std::string_view key) {
  return static_cast<std::int32_t>(r.required_integer(key, kInt32Min, kInt32Max));
}

// ---- quantisation ------------------------------------------------------------

json quant_spec_to_json(const quant::QuantSpec& s) {
  return {{"bits", s.bits},
          {"signed", s.is_signed},
          {"narrow_range", s.narrow_range},
          {"symmetric", s.symmetric},
          {"granularity", std::string(quant::to_string(s.granularity))},
          {"axis", s.axis},
          {"scale_kind", std::string(quant::to_string(s.scale_kind))},
          {"scales", s.scales},
          {"zero_points", s.zero_points}};
}

quant::QuantSpec quant_spec_from_json(const JsonReader& parent, std::string_view key) {
  const JsonReader r = parent.object(key);
  quant::QuantSpec s;
  s.bits = static_cast<int>(r.required_integer("bits", quant::QuantSpec::kMinBits, quant::QuantSpec::kMaxBits));
  s.is_signed = r.boolean("signed", true);
  s.narrow_range = r.boolean("narrow_range", false);
  s.symmetric = r.boolean("symmetric", true);
  s.granularity = quant::granularity_from_string(r.choice("granularity", "per_tensor", {"per_tensor", "per_channel"}));
  s.axis = static_cast<int>(r.integer("axis", 0, 0, 7));
  s.scale_kind = quant::scale_kind_from_string(r.choice("scale_kind", "float", {"float", "power_of_two"}));
  s.scales = numbers(r, "scales", 1);
  std::vector<std::int32_t> zero_points;
  for (const std::int64_t z : r.integers("zero_points", {}, kInt32Min, kInt32Max, 0)) zero_points.push_back(static_cast<std::int32_t>(z));
  s.zero_points = zero_points;
  r.finish();
  try {
    s.validate();
  } catch (const std::invalid_argument& e) {
    parent.fail(key, fmt::format("a valid quantiser spec ({})", e.what()));
  }
  return s;
}

json quantization_to_json(const Quantization& q) {
  json j = {{"granularity", std::string(quant::to_string(q.granularity))}, {"scales", q.scales}};
  if (q.granularity == quant::Granularity::PerChannel) j["axis"] = q.axis;
  if (!q.zero_points.empty()) j["zero_points"] = q.zero_points;
  return j;
}

Quantization quantization_from_json(const JsonReader& parent, std::string_view key) {
  const JsonReader r = parent.object(key);
  Quantization q;
  q.granularity = quant::granularity_from_string(r.choice("granularity", "per_tensor", {"per_tensor", "per_channel"}));
  q.axis = static_cast<int>(r.integer("axis", 0, 0, 7));
  q.scales = numbers(r, "scales", 1);
  for (const std::int64_t z : r.integers("zero_points", {}, kInt32Min, kInt32Max, 0)) q.zero_points.push_back(static_cast<std::int32_t>(z));
  r.finish();
  return q;
}

// ---- attributes ---------------------------------------------------------------

json pair_json(const Pair& p) { return json::array({p[0], p[1]}); }

json attributes_to_json(const Attributes& attributes) {
  return std::visit(
      Overloaded{
          [](const QuantAttrs& a) -> json {
            return {{"spec", quant_spec_to_json(a.spec)}, {"rounding", std::string(quant::to_string(a.rounding))}};
          },
          [](const BatchNormAttrs& a) -> json { return {{"epsilon", a.epsilon}}; },
          [](const ReluAttrs&) -> json { return json::object(); },
          [](const Conv2dAttrs& a) -> json {
            json j = {{"stride", pair_json(a.stride)},
                      {"padding", pair_json(a.padding)},
                      {"dilation", pair_json(a.dilation)},
                      {"groups", a.groups}};
            if (a.weight_quant) j["weight_quant"] = quant_spec_to_json(*a.weight_quant);
            return j;
          },
          [](const LinearAttrs& a) -> json {
            json j = json::object();
            if (a.weight_quant) j["weight_quant"] = quant_spec_to_json(*a.weight_quant);
            return j;
          },
          [](const AddAttrs& a) -> json {
            if (!a.requant) return json::object();
            return {{"multipliers", a.requant->multipliers},
                    {"shift", a.requant->shift},
                    {"lo", a.requant->lo},
                    {"hi", a.requant->hi}};
          },
          [](const ConcatAttrs& a) -> json { return {{"axis", a.axis}}; },
          [](const PoolAttrs& a) -> json {
            return {{"kernel", pair_json(a.kernel)}, {"stride", pair_json(a.stride)}, {"padding", pair_json(a.padding)}};
          },
          [](const FlattenAttrs& a) -> json { return {{"axis", a.axis}}; },
          [](const ReshapeAttrs& a) -> json { return {{"shape", a.shape}}; },
          [](const RequantAttrs& a) -> json {
            json multipliers = json::array();
            json shifts = json::array();
            for (const auto& m : a.multipliers) {
              multipliers.push_back(m.multiplier);
              shifts.push_back(m.shift);
            }
            return {{"multipliers", multipliers}, {"shifts", shifts}, {"axis", a.axis}, {"lo", a.lo}, {"hi", a.hi}};
          },
          [](const ClipAttrs& a) -> json { return {{"lo", a.lo}, {"hi", a.hi}}; },
      },
      attributes);
}

Attributes attributes_from_json(OpKind op, const JsonReader& a) {
  constexpr std::int64_t kMultiplierMax = (std::int64_t{1} << 32) - 1;
  switch (op) {
    case OpKind::Quant:
      return QuantAttrs{quant_spec_from_json(a, "spec"),
                        quant::rounding_mode_from_string(a.choice("rounding", "half_to_even", kRoundingNames))};
    case OpKind::BatchNorm: return BatchNormAttrs{a.number("epsilon", 1e-5, 0.0, 1.0)};
    case OpKind::Relu: return ReluAttrs{};
    case OpKind::Conv2d: {
      Conv2dAttrs c;
      c.stride = pair(a, "stride", c.stride, 1);
      c.padding = pair(a, "padding", c.padding, 0);
      c.dilation = pair(a, "dilation", c.dilation, 1);
      c.groups = a.integer("groups", 1, 1, kMaxDim);
      if (a.has("weight_quant")) c.weight_quant = quant_spec_from_json(a, "weight_quant");
      return c;
    }
    case OpKind::Linear: {
      LinearAttrs l;
      if (a.has("weight_quant")) l.weight_quant = quant_spec_from_json(a, "weight_quant");
      return l;
    }
    case OpKind::Add: {
      AddAttrs add;
      if (a.has("multipliers") || a.has("shift")) {
        add.requant = AddRequant{a.integers("multipliers", {}, 1, kMultiplierMax),
                                 static_cast<int>(a.required_integer("shift", 0, 62)), int32(a, "lo"), int32(a, "hi")};
      }
      return add;
    }
    case OpKind::Concat: return ConcatAttrs{a.integer("axis", 1, 0, 7)};
    case OpKind::AvgPool:
    case OpKind::MaxPool: {
      PoolAttrs p;
      p.kernel = pair(a, "kernel", {0, 0}, 1);
      if (!a.has("kernel")) a.fail("kernel", "two integers (kh, kw)");
      p.stride = pair(a, "stride", p.kernel, 1);
      p.padding = pair(a, "padding", {0, 0}, 0);
      return p;
    }
    case OpKind::Flatten: return FlattenAttrs{a.integer("axis", 1, 0, 8)};
    case OpKind::Reshape: return ReshapeAttrs{a.integers("shape", {}, -1, kMaxDim, 0)};
    case OpKind::Requant: {
      RequantAttrs r;
      const auto multipliers = a.integers("multipliers", {}, 1, kMultiplierMax);
      const auto shifts = a.integers("shifts", {}, 0, 62);
      if (multipliers.empty()) a.fail("multipliers", "an array of at least 1 integer in [1, 2^32)");
      if (shifts.size() != multipliers.size()) a.fail("shifts", fmt::format("{} integers in [0, 62], one per multiplier", multipliers.size()));
      for (std::size_t i = 0; i < multipliers.size(); ++i) r.multipliers.push_back({multipliers[i], static_cast<int>(shifts[i])});
      r.axis = static_cast<int>(a.integer("axis", 1, 0, 7));
      r.lo = int32(a, "lo");
      r.hi = int32(a, "hi");
      return r;
    }
    case OpKind::Clip: return ClipAttrs{int32(a, "lo"), int32(a, "hi")};
  }
  a.fail("op", "a known op");
}

// ---- tensors -------------------------------------------------------------------

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (int i = 0; i <= static_cast<int>(OpKind::Clip); ++i) names.emplace_back(to_string(static_cast<OpKind>(i)));
  return names;
}

std::size_t align(std::size_t offset) { return (offset + kBlobAlignment - 1) / kBlobAlignment * kBlobAlignment; }

json tensor_to_json(const Tensor& t, std::vector<std::uint8_t>& blob) {
  json j = {{"name", t.name}, {"type", to_string(t.type)}, {"shape", t.shape}};
  if (t.type.narrow_range) j["narrow_range"] = true;
  if (t.quantization) j["quant"] = quantization_to_json(*t.quantization);
  if (t.is_constant()) {
    blob.resize(align(blob.size()), 0);
    const std::size_t offset = blob.size();
    try {
      if (t.int_data) {
        append_ints(*t.int_data, t.type, blob);
      } else {
        append_floats(*t.float_data, blob);
      }
    } catch (const std::invalid_argument& e) {
      throw GraphError(fmt::format("tensor \"{}\": cannot encode its data: {}", t.name, e.what()));
    }
    j["data"] = {{"offset", offset}, {"bytes", blob.size() - offset}, {"encoding", std::string(to_string(encoding_for(t.type)))}};
  }
  return j;
}

Tensor tensor_from_json(const JsonReader& r, std::span<const std::uint8_t> blob) {
  Tensor t;
  t.name = r.required_string("name");
  const std::string type = r.required_string("type");
  try {
    t.type = element_type_from_string(type);
  } catch (const GraphError&) {
    r.fail("type", "float32, intN or uintN (N in 1..16), int32 or int64");
  }
  t.type.narrow_range = r.boolean("narrow_range", false);
  t.shape = r.integers("shape", {}, 0, kMaxDim, 0);
  if (!r.has("shape")) r.fail("shape", "an array of dimensions");
  std::int64_t count = 1;
  for (const std::int64_t d : t.shape) {
    if (d != 0 && count > kMaxElements / d) r.fail("shape", fmt::format("dimensions with at most 2^40 elements in all"));
    count *= d;
  }
  if (r.has("quant")) t.quantization = quantization_from_json(r, "quant");
  if (const auto data = r.optional_object("data")) {
    const auto offset = static_cast<std::size_t>(data->required_integer("offset", 0, std::numeric_limits<std::int64_t>::max()));
    const auto bytes = static_cast<std::size_t>(data->required_integer("bytes", 0, std::numeric_limits<std::int64_t>::max()));
    const std::string encoding = data->choice("encoding", "", {"packed", "int32le", "int64le", "float32le"});
    data->finish();
    try {
      t.type.validate();
    } catch (const GraphError& e) {
      r.fail("type", fmt::format("a valid element type ({})", e.what()));
    }
    if (encoding != to_string(encoding_for(t.type))) {
      data->fail("encoding", fmt::format("\"{}\" for {} data", to_string(encoding_for(t.type)), to_string(t.type)));
    }
    const std::size_t expected = encoded_size(t.type, static_cast<std::size_t>(count));
    if (bytes != expected) data->fail("bytes", fmt::format("{} ({} elements of {})", expected, count, to_string(t.type)));
    if (offset > blob.size() || blob.size() - offset < bytes) {
      data->fail("offset", fmt::format("a range inside the {}-byte weights file (offset + bytes overruns it)", blob.size()));
    }
    const auto slice = blob.subspan(offset, bytes);
    if (t.type.is_float()) {
      t.float_data = decode_floats(slice, static_cast<std::size_t>(count));
    } else {
      t.int_data = decode_ints(slice, static_cast<std::size_t>(count), t.type);
    }
  }
  r.finish();
  return t;
}

void check_header(const JsonReader& root) {
  const std::string format = root.required_string("format");
  if (format != kFormatName) root.fail("format", fmt::format("\"{}\"", kFormatName));
  const json* version = root.raw("version");
  if (!version || !version->is_number_integer()) root.fail("version", "an integer format version");
  const auto v = version->get<std::int64_t>();
  if (v > kFormatVersion) {
    throw ConfigError(fmt::format("{}: {}: format version {} is newer than this bitlab reads (version {}); "
                                  "update bitlab to load it",
                                  root.file(), root.pointer_of("version"), v, kFormatVersion));
  }
  if (v < 1) root.fail("version", fmt::format("an integer in [1, {}]", kFormatVersion));
}

}  // namespace

EncodedGraph encode_graph(const Graph& graph, const std::string& blob_file) {
  EncodedGraph out;
  json tensors = json::array();
  for (const Tensor& t : graph.tensors) tensors.push_back(tensor_to_json(t, out.blob));
  json nodes = json::array();
  for (const Node& n : graph.nodes) {
    nodes.push_back({{"name", n.name},
                     {"op", std::string(to_string(n.op))},
                     {"inputs", n.inputs},
                     {"outputs", n.outputs},
                     {"attributes", attributes_to_json(n.attributes)}});
  }
  out.json = {{"format", kFormatName},
              {"version", kFormatVersion},
              {"name", graph.name},
              {"weights", {{"file", blob_file}, {"bytes", out.blob.size()}, {"fnv1a64", fmt::format("{:016x}", fnv1a64(out.blob))}}},
              {"inputs", graph.inputs},
              {"outputs", graph.outputs},
              {"tensors", tensors},
              {"nodes", nodes}};
  return out;
}

BlobReference read_blob_reference(const nlohmann::json& json, const std::string& json_label) {
  const JsonReader root(json, json_label);
  check_header(root);
  const JsonReader weights = root.object("weights");
  BlobReference ref;
  ref.file = weights.required_string("file");
  if (ref.file.empty() || ref.file.find('/') != std::string::npos || ref.file == "." || ref.file == "..") {
    weights.fail("file", "a file name beside the JSON file (no directories)");
  }
  ref.bytes = static_cast<std::uint64_t>(weights.required_integer("bytes", 0, std::numeric_limits<std::int64_t>::max()));
  const std::string hash = weights.required_string("fnv1a64");
  std::size_t used = 0;
  try {
    ref.fnv1a64 = std::stoull(hash, &used, 16);
  } catch (const std::exception&) {
    used = 0;
  }
  if (hash.size() != 16 || used != hash.size()) weights.fail("fnv1a64", "16 hexadecimal digits");
  weights.finish();
  return ref;
}

Graph decode_graph(const nlohmann::json& json, std::span<const std::uint8_t> blob, const std::string& json_label) {
  const JsonReader root(json, json_label);
  check_header(root);
  (void)root.raw("weights");  // read by read_blob_reference
  Graph g;
  g.name = root.required_string("name");
  g.inputs = strings(root, "inputs");
  g.outputs = strings(root, "outputs");
  for (const JsonReader& t : objects(root, "tensors")) g.tensors.push_back(tensor_from_json(t, blob));
  const std::vector<std::string> ops = op_names();
  for (const JsonReader& r : objects(root, "nodes")) {
    Node n;
    n.name = r.required_string("name");
    if (!r.has("op")) r.fail("op", "one of the op names");
    n.op = op_kind_from_string(r.choice("op", "", ops));
    n.inputs = strings(r, "inputs");
    n.outputs = strings(r, "outputs");
    const JsonReader a = r.object("attributes");
    n.attributes = attributes_from_json(n.op, a);
    a.finish();
    r.finish();
    g.nodes.push_back(std::move(n));
  }
  root.finish();
  return g;
}

}  // namespace bitlab::ir
