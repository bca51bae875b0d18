#pragma once
// A progress bar for long work: done/total, rate, elapsed time, ETA and a status
// text the caller chooses (loss, accuracy...). On a terminal it redraws one line;
// in a log (CI, a pipe) it prints a plain line every few seconds instead, so logs
// stay readable.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace bitlab {

struct ProgressOptions {
  std::string label;            // printed before the bar, e.g. "epoch 3/15"
  std::string unit = "it";      // what is counted, for the rate
  std::FILE* out = stderr;
  bool enabled = true;          // false: print nothing (quiet mode, tests)
  double redraw_seconds = 0.1;  // terminal redraw period
  double log_seconds = 15.0;    // period of plain lines when not a terminal
  int bar_width = 24;
};

class ProgressBar {
 public:
  ProgressBar(int64_t total, ProgressOptions options);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();

  void update(int64_t done, std::string_view status = {});
  // Prints the final state (always, even in log mode) and ends the line.
  void finish(std::string_view status = {});

  double elapsed_seconds() const;

 private:
  std::string render(int64_t done, std::string_view status) const;

  int64_t total_;
  ProgressOptions options_;
  bool terminal_;
  bool finished_ = false;
  int64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

}  // namespace bitlab
