#include "ir/weights_blob.h"

#include <bit>
#include <stdexcept>

#include <fmt/format.h>

#include "quant/packing.h"

namespace bitlab::ir {
namespace {

void append_le(std::uint64_t value, int bytes, std::vector<std::uint8_t>& out) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

std::uint64_t read_le(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

quant::PackingFormat packing_for(const ElementType& type) {
  return {quant::field_bits_for(type.bits), type.is_signed};
}

}  // namespace

std::string_view to_string(DataEncoding encoding) {
  switch (encoding) {
    case DataEncoding::Packed: return "packed";
    case DataEncoding::Int32Le: return "int32le";
    case DataEncoding::Int64Le: return "int64le";
    case DataEncoding::Float32Le: return "float32le";
  }
  return "?";
}

DataEncoding encoding_for(const ElementType& type) {
  type.validate();
  if (type.is_float()) return DataEncoding::Float32Le;
  if (type.is_code()) return DataEncoding::Packed;
  return type.bits == 32 ? DataEncoding::Int32Le : DataEncoding::Int64Le;
}

std::size_t encoded_size(const ElementType& type, std::size_t count) {
  switch (encoding_for(type)) {
    case DataEncoding::Packed: return quant::packed_size_bytes(count, quant::field_bits_for(type.bits));
    case DataEncoding::Int32Le:
    case DataEncoding::Float32Le: return count * 4;
    case DataEncoding::Int64Le: return count * 8;
  }
  return 0;
}

void append_ints(std::span<const std::int64_t> values, const ElementType& type, std::vector<std::uint8_t>& out) {
  const DataEncoding encoding = encoding_for(type);
  if (encoding == DataEncoding::Packed) {
    // Codes fit int32 (<= 16 bits); quant::pack range-checks them against the field.
    std::vector<std::int32_t> codes;
    codes.reserve(values.size());
    for (const std::int64_t v : values) {
      if (v < type.min_value() || v > type.max_value()) {
        throw std::invalid_argument(fmt::format("value {} does not fit {}", v, to_string(type)));
      }
      codes.push_back(static_cast<std::int32_t>(v));
    }
    const auto packed = quant::pack(codes, packing_for(type));
    out.insert(out.end(), packed.begin(), packed.end());
    return;
  }
  if (encoding == DataEncoding::Float32Le) throw std::invalid_argument("append_ints: a float32 type holds floats");
  const int bytes = encoding == DataEncoding::Int32Le ? 4 : 8;
  for (const std::int64_t v : values) {
    if (v < type.min_value() || v > type.max_value()) {
      throw std::invalid_argument(fmt::format("value {} does not fit {}", v, to_string(type)));
    }
    append_le(static_cast<std::uint64_t>(v), bytes, out);
  }
}

void append_floats(std::span<const float> values, std::vector<std::uint8_t>& out) {
  for (const float v : values) append_le(std::bit_cast<std::uint32_t>(v), 4, out);
}

std::vector<std::int64_t> decode_ints(std::span<const std::uint8_t> bytes, std::size_t count, const ElementType& type) {
  if (bytes.size() != encoded_size(type, count)) {
    throw std::invalid_argument(fmt::format("{} {} values take {} bytes, got {}", count, to_string(type),
                                            encoded_size(type, count), bytes.size()));
  }
  const DataEncoding encoding = encoding_for(type);
  std::vector<std::int64_t> out;
  out.reserve(count);
  if (encoding == DataEncoding::Packed) {
    for (const std::int32_t v : quant::unpack(bytes, count, packing_for(type))) out.push_back(v);
    return out;
  }
  if (encoding == DataEncoding::Float32Le) throw std::invalid_argument("decode_ints: a float32 type holds floats");
  const int width = encoding == DataEncoding::Int32Le ? 4 : 8;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t raw = read_le(bytes.data() + i * width, width);
    // Sign-extend 32-bit fields; a 64-bit field is already the two's complement.
    out.push_back(width == 4 ? static_cast<std::int64_t>(static_cast<std::int32_t>(static_cast<std::uint32_t>(raw)))
                             : static_cast<std::int64_t>(raw));
  }
  return out;
}

std::vector<float> decode_floats(std::span<const std::uint8_t> bytes, std::size_t count) {
  if (bytes.size() != count * 4) {
    throw std::invalid_argument(fmt::format("{} float32 values take {} bytes, got {}", count, count * 4, bytes.size()));
  }
  std::vector<float> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(read_le(bytes.data() + 4 * i, 4))));
  }
  return out;
}

std::uint64_t fnv1a64(std::span<const std::uint8_t> bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV offset basis
  for (const std::uint8_t b : bytes) {
    hash ^= b;
    hash *= 0x100000001b3ULL;  // FNV prime
  }
  return hash;
}

}  // namespace bitlab::ir
