#include "ir/weights_blob.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace bitlab::ir {
namespace {

std::vector<std::uint8_t> encode(const std::vector<std::int64_t>& values, const ElementType& type) {
  std::vector<std::uint8_t> out;
  append_ints(values, type, out);
  return out;
}

TEST(WeightsBlob, PicksOneEncodingPerType) {
  EXPECT_EQ(encoding_for(ElementType::integer(3, true)), DataEncoding::Packed);
  EXPECT_EQ(encoding_for(ElementType::integer(16, false)), DataEncoding::Packed);
  EXPECT_EQ(encoding_for(ElementType::integer(32, true)), DataEncoding::Int32Le);
  EXPECT_EQ(encoding_for(ElementType::integer(64, true)), DataEncoding::Int64Le);
  EXPECT_EQ(encoding_for(ElementType::float32()), DataEncoding::Float32Le);
  EXPECT_EQ(encoded_size(ElementType::integer(3, true), 5), 3u);  // 4-bit fields (§12)
  EXPECT_EQ(encoded_size(ElementType::integer(2, false), 5), 2u);
  EXPECT_EQ(encoded_size(ElementType::integer(32, true), 5), 20u);
}

TEST(WeightsBlob, PacksCodesAsSection12) {
  EXPECT_EQ(encode({1, -2, 7, -8, 3}, ElementType::integer(4, true)), (std::vector<std::uint8_t>{0xE1, 0x87, 0x03}));
  EXPECT_EQ(encode({0, 1, 2, 3, 3}, ElementType::integer(2, false)), (std::vector<std::uint8_t>{0xE4, 0x03}));
  // A 3-bit code sign-extends into its 4-bit field and back.
  const ElementType int3 = ElementType::integer(3, true);
  EXPECT_EQ(decode_ints(encode({-4, 3, -1}, int3), 3, int3), (std::vector<std::int64_t>{-4, 3, -1}));
  EXPECT_THROW((void)encode({4}, int3), std::invalid_argument);
}

TEST(WeightsBlob, WideIntegersAndFloatsAreLittleEndian) {
  const ElementType i32 = ElementType::integer(32, true);
  EXPECT_EQ(encode({-2, 0x01020304}, i32), (std::vector<std::uint8_t>{0xFE, 0xFF, 0xFF, 0xFF, 0x04, 0x03, 0x02, 0x01}));
  const std::vector<std::int64_t> extremes = {std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()};
  EXPECT_EQ(decode_ints(encode(extremes, i32), 2, i32), extremes);
  EXPECT_THROW((void)encode({std::int64_t{1} << 31}, i32), std::invalid_argument);
  const ElementType i64 = ElementType::integer(64, true);
  const std::vector<std::int64_t> wide = {std::numeric_limits<std::int64_t>::min(), -1, 5};
  EXPECT_EQ(decode_ints(encode(wide, i64), 3, i64), wide);
  std::vector<std::uint8_t> f;
  append_floats(std::vector<float>{1.0f, -0.5f}, f);
  EXPECT_EQ(f, (std::vector<std::uint8_t>{0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xBF}));
  EXPECT_EQ(decode_floats(f, 2), (std::vector<float>{1.0f, -0.5f}));
  EXPECT_THROW((void)decode_floats(f, 3), std::invalid_argument);
  EXPECT_THROW((void)decode_ints(f, 3, i32), std::invalid_argument);
}

TEST(WeightsBlob, Fnv1a64MatchesTheReferenceVectors) {
  auto hash = [](std::string_view s) {
    return fnv1a64(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  };
  EXPECT_EQ(hash(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(hash("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(hash("foobar"), 0x85944171f73967e8ULL);
}

}  // namespace
}  // namespace bitlab::ir
