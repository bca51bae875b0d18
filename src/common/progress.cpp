#include "common/progress.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "common/text.h"

namespace bitlab {

ProgressBar::ProgressBar(int64_t total, ProgressOptions options)
    : total_(std::max<int64_t>(total, 1)),
      options_(std::move(options)),
      terminal_(::isatty(::fileno(options_.out)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

ProgressBar::~ProgressBar() {
  // A bar abandoned by an exception must not leave the cursor mid-line.
  if (!finished_ && options_.enabled && terminal_ && done_ > 0) std::fputc('\n', options_.out);
}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string ProgressBar::render(int64_t done, std::string_view status) const {
  double fraction = std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0);
  double elapsed = elapsed_seconds();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : -1.0;
  std::string bar;
  if (terminal_) {
    int filled = static_cast<int>(fraction * options_.bar_width);
    bar = "[" + std::string(filled, '#') + std::string(options_.bar_width - filled, '.') + "] ";
  }
  return fmt::format("{}{}{:3.0f}% {}/{} | {:.1f} {}/s | {} < {}{}{}", options_.label.empty() ? "" : options_.label + " ",
                     bar, 100.0 * fraction, done, total_, rate, options_.unit, format_duration(elapsed),
                     format_duration(eta), status.empty() ? "" : " | ", status);
}

void ProgressBar::update(int64_t done, std::string_view status) {
  done_ = done;
  if (!options_.enabled || finished_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_print_).count();
  if (since < (terminal_ ? options_.redraw_seconds : options_.log_seconds)) return;
  last_print_ = now;
  if (terminal_) {
    fmt::print(options_.out, "\r{}\x1b[K", render(done, status));
  } else {
    fmt::print(options_.out, "{}\n", render(done, status));
  }
  std::fflush(options_.out);
}

void ProgressBar::finish(std::string_view status) {
  if (finished_) return;
  finished_ = true;
  if (!options_.enabled) return;
  fmt::print(options_.out, "{}{}{}\n", terminal_ ? "\r" : "", render(done_, status),
             terminal_ ? "\x1b[K" : "");
  std::fflush(options_.out);
}

}  // namespace bitlab
