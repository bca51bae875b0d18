#include "quant/packing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace bitlab::quant {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(PackedSize, RoundsUpToWholeBytes) {
  EXPECT_EQ(packed_size_bytes(0, 4), 0u);
  EXPECT_EQ(packed_size_bytes(1, 1), 1u);
  EXPECT_EQ(packed_size_bytes(8, 1), 1u);
  EXPECT_EQ(packed_size_bytes(9, 1), 2u);
  EXPECT_EQ(packed_size_bytes(3, 2), 1u);
  EXPECT_EQ(packed_size_bytes(5, 2), 2u);
  EXPECT_EQ(packed_size_bytes(3, 4), 2u);
  EXPECT_EQ(packed_size_bytes(3, 8), 3u);
  EXPECT_EQ(packed_size_bytes(3, 16), 6u);
  EXPECT_EQ(packed_size_bytes(std::size_t{1} << 62, 8), std::size_t{1} << 62);  // no overflow in count * bits
  EXPECT_THROW((void)packed_size_bytes(4, 3), std::invalid_argument);
}

TEST(FieldBits, PicksTheSmallestFieldThatHoldsTheCode) {
  EXPECT_EQ(field_bits_for(1), 1);
  EXPECT_EQ(field_bits_for(2), 2);
  EXPECT_EQ(field_bits_for(3), 4);
  EXPECT_EQ(field_bits_for(5), 8);
  EXPECT_EQ(field_bits_for(9), 16);
  EXPECT_THROW((void)field_bits_for(0), std::invalid_argument);
  EXPECT_THROW((void)field_bits_for(17), std::invalid_argument);
}

// The bit diagram of docs/integer-spec.md §12.
TEST(Pack, SignedNibblesLowBitsFirst) {
  const std::vector<std::int32_t> values = {1, -2, 7, -8, 3};
  const auto bytes = pack(values, {.bits = 4, .is_signed = true});
  EXPECT_THAT(bytes, ElementsAre(0xE1, 0x87, 0x03));
  EXPECT_THAT(unpack(bytes, values.size(), {.bits = 4, .is_signed = true}), ElementsAre(1, -2, 7, -8, 3));
  // Read as unsigned, the same bits are the raw two's complement fields.
  EXPECT_THAT(unpack(bytes, values.size(), {.bits = 4, .is_signed = false}), ElementsAre(1, 14, 7, 8, 3));
}

TEST(Pack, UnsignedCrumbsAndBits) {
  const std::vector<std::int32_t> crumbs = {0, 1, 2, 3, 3};
  EXPECT_THAT(pack(crumbs, {.bits = 2, .is_signed = false}), ElementsAre(0xE4, 0x03));
  const std::vector<std::int32_t> bits = {1, 0, 1, 1, 0, 0, 0, 0, 1};
  EXPECT_THAT(pack(bits, {.bits = 1, .is_signed = false}), ElementsAre(0x0D, 0x01));
  const std::vector<std::int32_t> signed_bits = {-1, 0, -1};
  const auto packed = pack(signed_bits, {.bits = 1, .is_signed = true});
  EXPECT_THAT(packed, ElementsAre(0x05));
  EXPECT_THAT(unpack(packed, 3, {.bits = 1, .is_signed = true}), ElementsAre(-1, 0, -1));
}

TEST(Pack, BytesAndLittleEndianHalfWords) {
  const std::vector<std::int32_t> bytes = {-128, 127, -1};
  EXPECT_THAT(pack(bytes, {.bits = 8, .is_signed = true}), ElementsAre(0x80, 0x7F, 0xFF));
  const std::vector<std::int32_t> halves = {-2, 0x1234};
  EXPECT_THAT(pack(halves, {.bits = 16, .is_signed = true}), ElementsAre(0xFE, 0xFF, 0x34, 0x12));
  const std::vector<std::uint8_t> raw = {0xFF, 0xFF};
  EXPECT_THAT(unpack(raw, 1, {.bits = 16, .is_signed = false}), ElementsAre(65535));
}

TEST(Pack, RejectsValuesThatDoNotFitTheField) {
  const std::vector<std::int32_t> too_big = {0, 8};
  EXPECT_THAT([&] { (void)pack(too_big, {.bits = 4, .is_signed = true}); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("values[1] = 8")));
  const std::vector<std::int32_t> negative = {-1};
  EXPECT_THROW((void)pack(negative, {.bits = 8, .is_signed = false}), std::invalid_argument);
  const std::vector<std::int32_t> one = {1};
  EXPECT_THROW((void)pack(one, {.bits = 1, .is_signed = true}), std::invalid_argument);
  EXPECT_THROW((void)pack(one, {.bits = 3, .is_signed = false}), std::invalid_argument);
}

TEST(Pack, RejectsBuffersOfTheWrongSize) {
  const std::vector<std::int32_t> values = {1, 2, 3};
  std::vector<std::uint8_t> small(1);
  EXPECT_THROW(pack_into(values, {.bits = 4, .is_signed = false}, small), std::invalid_argument);
  std::vector<std::uint8_t> exact(2, 0xAA);
  pack_into(values, {.bits = 4, .is_signed = false}, exact);
  EXPECT_THAT(exact, ElementsAre(0x21, 0x03));  // stale bytes are overwritten, padding zeroed
  EXPECT_THROW((void)unpack(exact, 5, {.bits = 4, .is_signed = false}), std::invalid_argument);
  EXPECT_THROW((void)unpack(exact, 3, {.bits = 2, .is_signed = false}), std::invalid_argument);
}

RC_GTEST_PROP(PackingProperty, UnpackInvertsPackForEveryWidthSignAndLength, ()) {
  const int bits = *rc::gen::element(1, 2, 4, 8, 16);
  const bool is_signed = *rc::gen::arbitrary<bool>();
  const PackingFormat format{.bits = bits, .is_signed = is_signed};
  const std::size_t count = *rc::gen::inRange<std::size_t>(0, 70);
  const auto values =
      *rc::gen::container<std::vector<std::int32_t>>(count, rc::gen::inRange(format.min_value(), format.max_value() + 1));

  const auto bytes = pack(values, format);
  RC_ASSERT(bytes.size() == packed_size_bytes(count, bits));
  RC_ASSERT(bytes.size() * 8 >= count * static_cast<std::size_t>(bits));
  RC_ASSERT(bytes.size() * 8 < count * static_cast<std::size_t>(bits) + 8);
  RC_ASSERT(unpack(bytes, count, format) == values);

  // Layout, checked independently of unpack: element i's field starts at bit i*bits.
  const std::uint32_t mask = (1u << bits) - 1u;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t field = 0;
    for (int b = 0; b < bits; ++b) {
      const std::size_t bit = i * static_cast<std::size_t>(bits) + static_cast<std::size_t>(b);
      field |= ((bytes[bit / 8] >> (bit % 8)) & 1u) << b;
    }
    RC_ASSERT(field == (static_cast<std::uint32_t>(values[i]) & mask));
  }
  // Tail padding is zero.
  const std::size_t used_bits = count * static_cast<std::size_t>(bits);
  if (used_bits % 8 != 0) RC_ASSERT((bytes.back() >> (used_bits % 8)) == 0);
}

}  // namespace
}  // namespace bitlab::quant
