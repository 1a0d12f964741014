#pragma once
// Ctrl-C (SIGINT) and SIGTERM in the CLI's commands, two ways:
//  - stop_request: during an offline run, a request to stop at the next tick (or point) and write what was done,
//    where the default action killed the process and left an --out folder with nothing in it. The handler only
//    stores the signal's number (async-signal-safe); the run polls it. Restores the previous actions on exit.
//  - stop_signal_watch: while nothing can be kept (a network's set-up, a fit that needs every point), a thread takes
//    the signals (blocked in every thread by block_stop_signals) and ends the process at once with a line saying
//    so, where a long set-up either waited for its end (serve) or died silently (simulate, fit-tf, aln-table).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <functional>
#include <string>
#include <thread>

#include <pthread.h>

namespace cortexloop::tools {

// How a stop signal is named in the commands' messages: "Ctrl-C (SIGINT)" or "SIGTERM".
inline const char* stop_signal_name(int signo) noexcept { return signo == SIGINT ? "Ctrl-C (SIGINT)" : "SIGTERM"; }

// A shell's `cmd &` in a non-interactive script starts the command with SIGINT ignored, and `kill -INT` then did
// nothing (an outside audit). Each stop handling of this header takes the signal back: a handler replaces the
// ignoring; a blocked signal is set to its default action first, since POSIX leaves it open whether a blocked but
// ignored signal is kept pending for sigtimedwait or discarded.
inline void unignore_stop_signals() {
  for (const int signo : {SIGINT, SIGTERM}) {
    struct sigaction old {};
    if (sigaction(signo, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) std::signal(signo, SIG_DFL);
  }
}

// Blocks SIGINT and SIGTERM in the calling thread, and so in every thread it starts afterwards (call it before any
// starts); returns the set, for sigtimedwait or a later SIG_UNBLOCK.
inline sigset_t block_stop_signals() {
  unignore_stop_signals();
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

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
  static const char* signal_name() noexcept { return stop_signal_name(signal()); }
  // The exit code of a stopped run, as a shell reports a process ended by that signal.
  static int exit_code() noexcept { return 128 + signal(); }

 private:
  static_assert(std::atomic<int>::is_always_lock_free, "a signal handler may only touch lock-free atomics");
  static inline std::atomic<int> requested_{0};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// While it lives, a thread waits for `signals` (blocked in every thread: block_stop_signals) and, at one, writes
// "COMMAND: stopped by SIGNAL WHAT" on stderr and ends the process with the exit code of a process killed by it
// (128 + the signal), after `on_stop` (on the watch's thread: what a caller records of the stop, e.g. a sweep's
// index). Nothing else runs then: nothing half-written may be reachable while it lives.
class stop_signal_watch {
 public:
  stop_signal_watch(const sigset_t& signals, std::string command, std::string what,
                    std::function<void()> on_stop = {})
      : command_(std::move(command)), what_(std::move(what)), on_stop_(std::move(on_stop)),
        thread_([this, signals] {
          const timespec poll{0, 50'000'000};
          siginfo_t info;
          while (!done_.load(std::memory_order_acquire))
            if (const int sig = sigtimedwait(&signals, &info, &poll); sig > 0) {
              std::fprintf(stderr, "\n%s: stopped by %s %s\n", command_.c_str(), stop_signal_name(sig), what_.c_str());
              std::fflush(stderr);
              try {
                if (on_stop_) on_stop_();
              } catch (const std::exception& e) {
                std::fprintf(stderr, "%s: %s\n", command_.c_str(), e.what());
              }
              std::_Exit(128 + sig);
            }
        }) {}
  ~stop_signal_watch() {
    done_.store(true, std::memory_order_release);
    thread_.join();
  }
  stop_signal_watch(const stop_signal_watch&) = delete;
  stop_signal_watch& operator=(const stop_signal_watch&) = delete;

 private:
  std::string command_, what_;
  std::function<void()> on_stop_;
  std::atomic<bool> done_{false};
  std::thread thread_;  // last: started once the strings it prints are set
};

}  // namespace cortexloop::tools
