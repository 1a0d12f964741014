#pragma once
// A status line on stderr, shown only once a job has run for a while (short runs stay silent). On a terminal it is
// redrawn in place at most twice a second; into a log (a file, a pipe, CI) it is a new line at most every 10 s, so a
// long sweep leaves a readable log rather than thousands of lines.
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
    const auto interval = tty_ ? std::chrono::milliseconds(500) : std::chrono::milliseconds(10000);
    if (now - start_ < std::chrono::seconds(2) || now - last_ < interval) return;
    last_ = now;
    shown_ = true;
    std::fprintf(stderr, tty_ ? "\r%s: %3.0f%% %s\033[K" : "%s: %3.0f%% %s\n", name_.c_str(), 100.0 * fraction,
                 text().c_str());
    std::fflush(stderr);
  }
  void done() {
    if (shown_ && tty_) std::fprintf(stderr, "\n");
  }
  // The job finished: a line that was shown ends at 100 % with `text` (its last redraw could read "50% 1 / 2
  // points" for a job that went on to finish: an outside check of an MPI sweep's log).
  void finished(const std::string& text) {
    if (!quiet_ && shown_)
      std::fprintf(stderr, tty_ ? "\r%s: 100%% %s\033[K\n" : "%s: 100%% %s\n", name_.c_str(), text.c_str());
    else
      done();
    shown_ = false;
  }

 private:
  std::string name_;
  bool quiet_, tty_, shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

}  // namespace cortexloop::tools
