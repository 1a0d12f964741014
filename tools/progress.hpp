#pragma once
// A status line on stderr, redrawn at most twice a second, shown only once a job has run for a while
// (short runs stay silent) and only on a terminal or when forced by the caller.
#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace cortexloop::tools {

class progress_line {
 public:
  progress_line(std::string name, bool quiet) : name_(std::move(name)), quiet_(quiet), tty_(isatty(STDERR_FILENO)) {}
  // fraction in [0, 1]; text() is called only when the line is redrawn.
  template <class TextFn>
  void update(double fraction, TextFn&& text) {
    if (quiet_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(2) || now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    shown_ = true;
    std::fprintf(stderr, tty_ ? "\r%s: %3.0f%% %s\033[K" : "%s: %3.0f%% %s\n", name_.c_str(), 100.0 * fraction,
                 text().c_str());
    std::fflush(stderr);
  }
  void done() {
    if (shown_ && tty_) std::fprintf(stderr, "\n");
  }

 private:
  std::string name_;
  bool quiet_, tty_, shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

}  // namespace cortexloop::tools
