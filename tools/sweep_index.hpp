#pragma once
// A sweep's OUT/sweep.json, which every rank of `simulate --sweep` updates with its own points' outcomes
// (simulate_command.cpp, run_sweep). Here, not in run_sweep's file, so that a test can update one from two writers
// at once (tests/test_sweep_index.cpp).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "io/recording/output_dir.hpp"

namespace cortexloop::tools {

// Changes OUT/sweep.json: read, changed and written whole (renamed in place: a reader sees the old or the new). Under
// more than one rank (`shared`), under flock(2) on OUT/sweep.json.lock, so that no rank's update undoes another's
// (the file stays: a rank still running may hold it); a file system without flock (some network ones) is not locked,
// as io::output_dir_lock. change returns false to leave the file as it is.
inline void update_sweep_index(const std::filesystem::path& out, bool shared,
                               const std::function<bool(nlohmann::json&)>& change) {
  struct held_lock {  // closing the file lets the lock go, however this returns
    int fd = -1;
    ~held_lock() {
      if (fd >= 0) ::close(fd);
    }
  } lock;
  if (shared) {
    const std::filesystem::path lock_file = out / "sweep.json.lock";
    lock.fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock.fd < 0) throw std::runtime_error(lock_file.string() + ": cannot open (" + std::strerror(errno) + ")");
    while (::flock(lock.fd, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  std::ifstream f(out / "sweep.json");
  nlohmann::json index = nlohmann::json::parse(f, nullptr, false);  // none yet: rank 0's first write replaces it
  if (change(index)) io::write_text_file(out / "sweep.json", index.dump(2) + "\n");
}

}  // namespace cortexloop::tools
