#pragma once
// Writes that never leave a half-written file behind: a crash (or kill) during a
// write leaves either the old content or the new one, never a mix.
#include <filesystem>
#include <functional>
#include <string_view>

namespace bitlab {

// Writes `content` to a temporary file beside `path`, flushes it to disk and
// renames it over `path` (rename is atomic within one file system).
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

// For writers that need a path rather than a buffer (e.g. torch::save): `write`
// receives a temporary path beside `path`; on success it is renamed over `path`,
// on an exception it is removed and the exception propagates.
void replace_file_atomically(const std::filesystem::path& path,
                             const std::function<void(const std::filesystem::path&)>& write);

}  // namespace bitlab
