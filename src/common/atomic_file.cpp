#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab {
namespace {

std::filesystem::path temporary_sibling(const std::filesystem::path& path) {
  std::random_device entropy;
  return path.parent_path() /
         fmt::format(".{}.tmp-{}-{:08x}", path.filename().string(), ::getpid(), entropy());
}

void fsync_path(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return;  // best effort: some file systems refuse to open directories
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void replace_file_atomically(const std::filesystem::path& path,
                             const std::function<void(const std::filesystem::path&)>& write) {
  std::filesystem::path parent = path.parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw IoError(fmt::format("cannot create directory {}: {}", parent.string(), ec.message()));
  }
  std::filesystem::path tmp = temporary_sibling(path);
  try {
    write(tmp);
    fsync_path(tmp, O_RDONLY);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw IoError(fmt::format("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message()));
    fsync_path(parent.empty() ? std::filesystem::path(".") : parent, O_RDONLY | O_DIRECTORY);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  replace_file_atomically(path, [&](const std::filesystem::path& tmp) {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) throw IoError(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
    const char* data = content.data();
    size_t left = content.size();
    while (left > 0) {
      ssize_t n = ::write(fd, data, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        throw IoError(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(err)));
      }
      data += n;
      left -= static_cast<size_t>(n);
    }
    ::close(fd);
  });
}

}  // namespace bitlab
