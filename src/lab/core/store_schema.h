#pragma once
// Opening a results store: the checks that keep a foreign or damaged file
// untouched, WAL mode, and the schema (format 1, docs/lab.md).
#include <filesystem>

#include "lab/core/sqlite.h"

namespace bitlab::lab {

struct StoreOptions;

inline constexpr int kStoreFormatVersion = 1;
// PRAGMA application_id: "blab" in the SQLite header marks a bitlab results store.
inline constexpr int kStoreApplicationId = 0x626C6162;

// Opens (or, unless read-only, creates) the store database; IoError naming the
// file for anything that is not a readable bitlab store of a known format.
sqlite::Database open_store_database(const std::filesystem::path& path, const StoreOptions& options);

}  // namespace bitlab::lab
