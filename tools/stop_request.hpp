#pragma once
// Ctrl-C (SIGINT) or SIGTERM during an offline run: a request to stop at the next tick and write what was simulated,
// where the default action killed the process and left an --out folder with nothing in it. The handler only stores
// the signal's number (async-signal-safe); the run polls it once per tick. Restores the previous actions on exit.
#include <atomic>
#include <csignal>

namespace cortexloop::tools {

class stop_request {
 public:
  stop_request() {
    struct sigaction action {};
    action.sa_handler = [](int signo) { requested_.store(signo, std::memory_order_relaxed); };
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~stop_request() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  stop_request(const stop_request&) = delete;
  stop_request& operator=(const stop_request&) = delete;

  // The signal that asked to stop, 0 if none has.
  static int signal() noexcept { return requested_.load(std::memory_order_relaxed); }
  // How the stop is reported: "Ctrl-C (SIGINT)" or "SIGTERM".
  static const char* signal_name() noexcept { return signal() == SIGINT ? "Ctrl-C (SIGINT)" : "SIGTERM"; }
  // The exit code of a stopped run, as a shell reports a process ended by that signal.
  static int exit_code() noexcept { return 128 + signal(); }

 private:
  static_assert(std::atomic<int>::is_always_lock_free, "a signal handler may only touch lock-free atomics");
  static inline std::atomic<int> requested_{0};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace cortexloop::tools
