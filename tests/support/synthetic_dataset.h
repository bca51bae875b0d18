#pragma once
// Tests never depend on the real dataset being installed: they write small
// IDX folders in the Fashion-MNIST layout whose classes a CNN learns in seconds.
#include <cstdint>
#include <filesystem>

namespace bitlab::testing {

// A fresh, empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct SyntheticDatasetOptions {
  int64_t train = 512;
  int64_t test = 256;
  int64_t side = 28;
  int64_t classes = 10;
  uint64_t seed = 7;
  bool gzip = true;
};

// Class c is a bright 6x6 square at a class-specific position plus noise.
void write_synthetic_fashion_mnist(const std::filesystem::path& root, const SyntheticDatasetOptions& options = {});

}  // namespace bitlab::testing
