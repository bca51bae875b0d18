#include "data/io/idx.h"

#include <zlib.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "support/synthetic_dataset.h"

namespace bitlab::data {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string error_of(const std::filesystem::path& path) {
  try {
    read_idx(path);
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string header(uint8_t type, std::vector<uint32_t> dims) {
  std::string h = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) h.push_back(static_cast<char>((d >> s) & 0xff));
  return h;
}

TEST(Idx, RoundTripsPlainAndGzip) {
  testing::TempDir dir;
  IdxArray a{{2, 3, 2}, {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255}};
  for (const char* name : {"x-idx3-ubyte", "x-idx3-ubyte.gz"}) {
    write_idx(dir / name, a);
    IdxArray b = read_idx(dir / name);
    EXPECT_EQ(b.dims, a.dims) << name;
    EXPECT_EQ(b.values, a.values) << name;
    EXPECT_EQ(b.count(), 2);
  }
  // The .gz file really is compressed (gzip magic 1f 8b).
  std::ifstream in(dir / "x-idx3-ubyte.gz", std::ios::binary);
  EXPECT_EQ(in.get(), 0x1f);
  EXPECT_EQ(in.get(), 0x8b);
}

TEST(Idx, MissingFileSaysHowToGetTheData) {
  testing::TempDir dir;
  EXPECT_THAT(error_of(dir / "nope.gz"), AllOf(HasSubstr("nope.gz"), HasSubstr("no such file"),
                                               HasSubstr("dataset-fashion-mnist")));
}

TEST(Idx, WrongMagicNumber) {
  testing::TempDir dir;
  write_bytes(dir / "bad", "\x12\x34\x08\x01" + std::string(8, 'x'));
  EXPECT_THAT(error_of(dir / "bad"), AllOf(HasSubstr("bad"), HasSubstr("wrong magic number 0x12340801")));
  write_bytes(dir / "dims", header(0x08, {}) );
  EXPECT_THAT(error_of(dir / "dims"), HasSubstr("wrong magic number"));
}

TEST(Idx, UnsupportedElementType) {
  testing::TempDir dir;
  write_bytes(dir / "float", header(0x0D, {1}) + std::string(4, '\0'));
  EXPECT_THAT(error_of(dir / "float"), HasSubstr("element type 0x0d is not supported"));
}

TEST(Idx, TruncatedHeaderAndData) {
  testing::TempDir dir;
  write_bytes(dir / "short", std::string("\0\0", 2));
  EXPECT_THAT(error_of(dir / "short"), HasSubstr("truncated"));
  write_bytes(dir / "header", header(0x08, {10, 28, 28}).substr(0, 9));
  EXPECT_THAT(error_of(dir / "header"), HasSubstr("truncated in the header"));
  write_bytes(dir / "data", header(0x08, {10, 2}) + std::string(15, '\1'));
  EXPECT_THAT(error_of(dir / "data"), HasSubstr("truncated: header promises 20 values, file holds 15"));
}

TEST(Idx, TruncatedGzipStream) {
  testing::TempDir dir;
  IdxArray a{{1000}, std::vector<uint8_t>(1000, 7)};
  write_idx(dir / "full.gz", a);
  std::ifstream in(dir / "full.gz", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  write_bytes(dir / "cut.gz", bytes.substr(0, bytes.size() / 2));
  EXPECT_THAT(error_of(dir / "cut.gz"), AllOf(HasSubstr("cut.gz"), ::testing::AnyOf(HasSubstr("truncated"), HasSubstr("corrupt"))));
}

TEST(Idx, TrailingBytesAreAnError) {
  testing::TempDir dir;
  write_bytes(dir / "long", header(0x08, {2}) + std::string(3, '\1'));
  EXPECT_THAT(error_of(dir / "long"), HasSubstr("holds more"));
}

}  // namespace
}  // namespace bitlab::data
