#pragma once

// Dense storage of integer codes in 1-, 2-, 4-, 8- or 16-bit fields,
// docs/integer-spec.md §12. Element i occupies bits [i*b, (i+1)*b) of the
// byte stream counted from the least significant bit of byte 0, i.e. for
// b <= 8 it sits in byte (i*b)/8 at bit offset (i*b)%8, lowest bits first;
// 16-bit fields are two bytes, little-endian. Signed fields hold two's
// complement. The last byte's unused high bits are zero.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace bitlab::quant {

struct PackingFormat {
  int bits = 8;  // field width: 1, 2, 4, 8 or 16
  bool is_signed = true;

  // Throws std::invalid_argument unless bits is one of the allowed widths.
  void validate() const;
  [[nodiscard]] std::int32_t min_value() const;
  [[nodiscard]] std::int32_t max_value() const;
};

// Smallest allowed field width that holds a `bits`-wide code (3 -> 4, 5 -> 8);
// a signed 3-bit code sign-extends into its 4-bit field unchanged.
int field_bits_for(int bits);

// ceil(count * bits / 8).
std::size_t packed_size_bytes(std::size_t count, int bits);

// Throws std::invalid_argument naming the first value outside
// [min_value, max_value] for the format.
std::vector<std::uint8_t> pack(std::span<const std::int32_t> values, const PackingFormat& format);
// Writes exactly packed_size_bytes(values.size(), bits) bytes to `out`, which
// must be that long.
void pack_into(std::span<const std::int32_t> values, const PackingFormat& format, std::span<std::uint8_t> out);

// `bytes` must be exactly packed_size_bytes(count, bits) long; padding bits
// are ignored.
std::vector<std::int32_t> unpack(std::span<const std::uint8_t> bytes, std::size_t count,
                                 const PackingFormat& format);

}  // namespace bitlab::quant
