#pragma once
// The `cortexloop` executable run as a user runs it, from a test: spawned with its stdout and stderr in files,
// waited for with a deadline (killed past it). Shared by the CLI tests (test_record_cli, test_replay).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace cortexloop::testing {

struct child {
  pid_t pid = -1;
  std::filesystem::path out, err;  // its stdout and stderr
};

// Runs CORTEXLOOP_BINARY_DIR/cortexloop with `args`; stdout goes to LOG_STEM.out, stderr to LOG_STEM.err.
inline child spawn_cortexloop(std::vector<std::string> args, const std::filesystem::path& log_stem) {
  args.insert(args.begin(), CORTEXLOOP_BINARY_DIR "/cortexloop");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  child c{.out = log_stem.string() + ".out", .err = log_stem.string() + ".err"};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, c.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, c.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(posix_spawn(&c.pid, argv[0], &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  return c;
}

// Exit code once the child has exited (128 + signal if killed), or -1 if it still runs at the deadline (then
// it is killed).
inline int wait_exit(const child& c, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < end) {
    if (waitpid(c.pid, &status, WNOHANG) == c.pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(c.pid, SIGKILL);
  waitpid(c.pid, &status, 0);
  return -1;
}

// An empty folder of the system's temporary directory for one test program's run (its name and the process id).
inline std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("cortexloop_test_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace cortexloop::testing
