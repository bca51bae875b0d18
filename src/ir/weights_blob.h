#pragma once
// Byte encodings of constant tensor data in the NET.tq.bin weights file
// (docs/formats.md): codes of <= 16 bits packed per docs/integer-spec.md §12,
// 32/64-bit integers and float32 little-endian. Independent of host byte order.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ir/types.h"

namespace bitlab::ir {

enum class DataEncoding : std::uint8_t {
  Packed,     // §12, field width quant::field_bits_for(bits), two's complement when signed
  Int32Le,
  Int64Le,
  Float32Le,  // IEEE-754 binary32
};

std::string_view to_string(DataEncoding encoding);
// The one encoding each element type is stored in.
DataEncoding encoding_for(const ElementType& type);
// Bytes that `count` elements of `type` take.
std::size_t encoded_size(const ElementType& type, std::size_t count);

// Append the encoding to `out`. Integer values must fit `type` (checked by quant::pack
// for codes; 32-bit values are checked here).
void append_ints(std::span<const std::int64_t> values, const ElementType& type, std::vector<std::uint8_t>& out);
void append_floats(std::span<const float> values, std::vector<std::uint8_t>& out);

// `bytes` must be exactly encoded_size(type, count) long (throws std::invalid_argument).
std::vector<std::int64_t> decode_ints(std::span<const std::uint8_t> bytes, std::size_t count, const ElementType& type);
std::vector<float> decode_floats(std::span<const std::uint8_t> bytes, std::size_t count);

// 64-bit FNV-1a of the bytes: a cheap check that the weights file is the one
// its JSON was saved with (not a cryptographic hash).
std::uint64_t fnv1a64(std::span<const std::uint8_t> bytes);

}  // namespace bitlab::ir
