#pragma once
// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
// two zero bytes, a type byte (0x08 = unsigned byte), a dimension count, then
// big-endian uint32 sizes and the data. Files may be gzip-compressed.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace bitlab::data {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> values;  // row-major
  int64_t count() const { return dims.empty() ? 0 : dims[0]; }
};

// Reads a (possibly gzip-compressed) unsigned-byte IDX file. Throws DataError
// naming the file for: missing file, bad magic, unsupported element type,
// truncated data, trailing bytes, or corrupt compression.
IdxArray read_idx(const std::filesystem::path& path);

// Writes an unsigned-byte IDX file, gzip-compressed when the name ends in .gz.
// Used by tests and by tools that export subsets.
void write_idx(const std::filesystem::path& path, const IdxArray& array);

}  // namespace bitlab::data
