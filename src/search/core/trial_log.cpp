#include "search/core/trial_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab::search {

nlohmann::json to_json(const SearchSpace& space, const Trial& trial) {
  nlohmann::json j{{"index", trial.index},
                   {"key", trial.key},
                   {"budget", trial.budget},
                   {"bits", to_bits_json(space, trial.genes)},
                   {"strategy", trial.strategy},
                   {"finished_at", trial.finished_at}};
  j.update(nlohmann::json(trial.evaluation));
  if (trial.skipped) j["skipped"] = true;
  return j;
}

Trial trial_from_json(const SearchSpace& space, const nlohmann::json& json, const std::string& source) {
  try {
    Trial t;
    t.index = json.at("index").get<int>();
    t.budget = json.at("budget").get<int>();
    t.genes = from_bits_json(space, json.at("bits"), source + " /bits");
    t.key = canonical_key(space, t.genes);
    if (t.key != json.at("key").get<std::string>())
      throw ConfigError(fmt::format("{}: trial key '{}' does not match its widths (expected '{}'): the log belongs "
                                    "to another search space; use a new output directory",
                                    source, json.at("key").get<std::string>(), t.key));
    t.evaluation = json.get<Evaluation>();
    t.strategy = json.value("strategy", "");
    t.finished_at = json.value("finished_at", "");
    t.skipped = json.value("skipped", false);
    return t;
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("{}: not a trial record ({})", source, e.what()));
  }
}

TrialLog::TrialLog(std::filesystem::path path, const SearchSpace& space) : path_(std::move(path)), space_(&space) {
  if (!std::filesystem::exists(path_)) return;
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot read the trial log", path_.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::size_t start = 0, good_end = 0;
  int line_no = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    ++line_no;
    const std::string source = fmt::format("{}:{}", path_.string(), line_no);
    if (end == std::string::npos) break;  // torn last line: a kill during its write
    const std::string line = text.substr(start, end - start);
    if (!line.empty()) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::parse_error&) {
        throw IoError(fmt::format("{}: not JSON; the trial log is damaged (move it away to start over)", source));
      }
      Trial t = trial_from_json(space, j, source);
      index_[{t.key, t.budget}] = trials_.size();
      trials_.push_back(std::move(t));
    }
    start = end + 1;
    good_end = start;
  }
  if (good_end < text.size()) std::filesystem::resize_file(path_, good_end);
}

const Trial* TrialLog::find(const std::string& key, int budget) const {
  auto it = index_.find({key, budget});
  return it == index_.end() ? nullptr : &trials_[it->second];
}

const Trial& TrialLog::append(Trial trial) {
  trial.index = static_cast<int>(trials_.size());
  if (!path_.empty()) {
    const std::string line = to_json(*space_, trial).dump() + "\n";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw IoError(fmt::format("{}: cannot open the trial log: {}", path_.string(), std::strerror(errno)));
    // One write: O_APPEND places it whole at the end; fsync makes it survive a crash.
    const ssize_t written = ::write(fd, line.data(), line.size());
    const bool ok = written == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    const int error = errno;
    ::close(fd);
    if (!ok) throw IoError(fmt::format("{}: cannot append a trial: {}", path_.string(), std::strerror(error)));
  }
  index_[{trial.key, trial.budget}] = trials_.size();
  trials_.push_back(std::move(trial));
  return trials_.back();
}

}  // namespace bitlab::search
