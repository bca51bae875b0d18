#include "common/atomic_file.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/synthetic_dataset.h"

namespace bitlab {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(AtomicFile, WritesAndReplacesAndCreatesFolders) {
  testing::TempDir dir;
  auto path = dir / "a/b/out.txt";
  write_file_atomically(path, "one");
  EXPECT_EQ(slurp(path), "one");
  write_file_atomically(path, "two");
  EXPECT_EQ(slurp(path), "two");
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(path.parent_path()), {}), 1);
}

TEST(AtomicFile, FailedWriteKeepsTheOriginal) {
  testing::TempDir dir;
  auto path = dir / "keep.txt";
  write_file_atomically(path, "original");
  EXPECT_THROW(replace_file_atomically(path,
                                       [](const std::filesystem::path& tmp) {
                                         std::ofstream(tmp) << "half";
                                         throw std::runtime_error("crash mid-write");
                                       }),
               std::runtime_error);
  EXPECT_EQ(slurp(path), "original");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

}  // namespace
}  // namespace bitlab
