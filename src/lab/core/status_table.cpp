#include "lab/core/status_table.h"

#include <algorithm>

#include <fmt/format.h>

namespace bitlab::lab {
namespace {

void count(StatusCounts& counts, RunStatus status) {
  switch (status) {
    case RunStatus::pending: ++counts.pending; break;
    case RunStatus::running: ++counts.running; break;
    case RunStatus::done: ++counts.done; break;
    case RunStatus::failed: ++counts.failed; break;
  }
}

std::string row(const std::string& name, size_t width, const StatusCounts& c) {
  return fmt::format("{:<{}} | {:>7} | {:>7} | {:>7} | {:>7} | {:>7}\n", name, width, c.pending, c.running, c.done,
                     c.failed, c.total());
}

}  // namespace

std::vector<std::pair<std::string, StatusCounts>> counts_by_variant(const std::vector<RunRecord>& records) {
  std::vector<std::pair<std::string, StatusCounts>> out;
  for (const auto& r : records) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& entry) { return entry.first == r.run.variant; });
    if (it == out.end()) {
      out.emplace_back(r.run.variant, StatusCounts{});
      it = out.end() - 1;
    }
    count(it->second, r.status);
  }
  return out;
}

std::string format_status(const std::vector<RunRecord>& records) {
  auto variants = counts_by_variant(records);
  size_t width = 7;  // "variant"
  StatusCounts total;
  for (const auto& [name, counts] : variants) width = std::max(width, name.size());
  for (const auto& r : records) count(total, r.status);
  std::string out = fmt::format("{:<{}} | {:>7} | {:>7} | {:>7} | {:>7} | {:>7}\n", "variant", width, "pending",
                                "running", "done", "failed", "total");
  out += std::string(out.size() - 1, '-') + "\n";
  for (const auto& [name, counts] : variants) out += row(name, width, counts);
  out += std::string(out.find('\n'), '-') + "\n";
  out += row("all", width, total);
  for (const auto& r : records) {
    if (r.status != RunStatus::failed) continue;
    out += fmt::format("failed: {} (attempt {}): {}\n", r.run.id, r.attempts, r.error.substr(0, r.error.find('\n')));
  }
  return out;
}

}  // namespace bitlab::lab
