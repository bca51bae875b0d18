#include "data/io/idx.h"

#include <zlib.h>

#include <array>
#include <memory>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bitlab::data {
namespace {

constexpr uint8_t kUnsignedByte = 0x08;
constexpr int kMaxDims = 4;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads exactly n bytes or reports how many were there.
size_t read_up_to(gzFile f, void* out, size_t n, const std::filesystem::path& path) {
  size_t total = 0;
  auto* bytes = static_cast<uint8_t*>(out);
  while (total < n) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - total, 1u << 30));
    int got = gzread(f, bytes + total, chunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(f, &code);
      throw DataError(fmt::format("{}: corrupt file ({}); re-install the dataset or re-download it",
                                  path.string(), message));
    }
    if (got == 0) break;
    total += static_cast<size_t>(got);
  }
  return total;
}

}  // namespace

IdxArray read_idx(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    throw DataError(fmt::format(
        "{}: no such file. Fashion-MNIST comes from Debian's dataset-fashion-mnist package "
        "(scripts/install-deps.sh installs it); or set data.root to a folder holding the IDX files",
        path.string()));
  }
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) throw DataError(fmt::format("{}: cannot open for reading", path.string()));

  std::array<uint8_t, 4> magic{};
  if (read_up_to(file.get(), magic.data(), 4, path) != 4) {
    throw DataError(fmt::format("{}: truncated: shorter than the 4-byte IDX header", path.string()));
  }
  if (magic[0] != 0 || magic[1] != 0 || magic[3] == 0 || magic[3] > kMaxDims) {
    throw DataError(fmt::format(
        "{}: wrong magic number 0x{:02x}{:02x}{:02x}{:02x}: not an IDX file (expected 0x0000 0x08 "
        "and 1 to {} dimensions)",
        path.string(), magic[0], magic[1], magic[2], magic[3], kMaxDims));
  }
  if (magic[2] != kUnsignedByte) {
    throw DataError(fmt::format("{}: IDX element type 0x{:02x} is not supported (only 0x08, unsigned "
                                "byte)",
                                path.string(), magic[2]));
  }
  IdxArray array;
  size_t elements = 1;
  for (int d = 0; d < magic[3]; ++d) {
    std::array<uint8_t, 4> be{};
    if (read_up_to(file.get(), be.data(), 4, path) != 4) {
      throw DataError(fmt::format("{}: truncated in the header (dimension {} of {})", path.string(),
                                  d + 1, magic[3]));
    }
    uint32_t size = (uint32_t{be[0]} << 24) | (uint32_t{be[1]} << 16) | (uint32_t{be[2]} << 8) | be[3];
    array.dims.push_back(size);
    elements *= size;
  }
  array.values.resize(elements);
  size_t got = read_up_to(file.get(), array.values.data(), elements, path);
  if (got != elements) {
    throw DataError(fmt::format("{}: truncated: header promises {} values, file holds {}",
                                path.string(), elements, got));
  }
  uint8_t extra = 0;
  if (read_up_to(file.get(), &extra, 1, path) != 0) {
    throw DataError(fmt::format("{}: {} values expected, but the file holds more (wrong header?)",
                                path.string(), elements));
  }
  return array;
}

void write_idx(const std::filesystem::path& path, const IdxArray& array) {
  std::string bytes = {0, 0, static_cast<char>(kUnsignedByte), static_cast<char>(array.dims.size())};
  for (int64_t d : array.dims) {
    auto u = static_cast<uint32_t>(d);
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((u >> shift) & 0xff));
  }
  bytes.append(reinterpret_cast<const char*>(array.values.data()), array.values.size());
  if (path.extension() != ".gz") {
    write_file_atomically(path, bytes);
    return;
  }
  replace_file_atomically(path, [&](const std::filesystem::path& tmp) {
    GzFile out(gzopen(tmp.c_str(), "wb"));
    if (!out || gzwrite(out.get(), bytes.data(), static_cast<unsigned>(bytes.size())) !=
                    static_cast<int>(bytes.size())) {
      throw IoError(fmt::format("{}: cannot write", tmp.string()));
    }
  });
}

}  // namespace bitlab::data
