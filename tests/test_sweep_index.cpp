// A sweep's OUT/sweep.json is updated by every rank of `simulate --sweep` (tools/sweep_index.hpp): each reads it,
// changes its own point and writes it whole, under flock(2) on OUT/sweep.json.lock. Without the lock two ranks that
// read the same version each write back their own change alone, and one rank's outcome is lost ("ran" back to
// "running"). Here two writers are made to overlap on purpose, not by chance, so the test is deterministic.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "tools/sweep_index.hpp"

using namespace cortexloop;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Whether /proc/locks lists a writer blocked (" -> ") in flock(2) on the file of this inode: the second writer
// waiting for the first one's lock. Lines read "1: -> FLOCK  ADVISORY  WRITE <pid> <maj>:<min>:<inode> 0 EOF".
bool flock_waiter_on(ino_t inode) {
  std::ifstream locks("/proc/locks");
  const std::string at = ":" + std::to_string(inode) + " ";
  for (std::string line; std::getline(locks, line);)
    if (line.find(" -> FLOCK ") != std::string::npos && line.find(at) != std::string::npos) return true;
  return false;
}

}  // namespace

// Writer A (a thread) reads sweep.json and, holding what it read, waits until writer B (this thread) has either read
// the file too (B's change ran: no lock kept it out) or is seen blocked on the lock in /proc/locks; only then does A
// write. flock locks an open file description, so two open()s in one process exclude each other as two ranks do.
// With the lock, B reads A's write and both points read "ran". Break seen to fail: update_sweep_index's `if
// (shared)` -> `if (false)` (no lock): B reads the old file, A writes its stale copy over B's, and point 1 reads
// "running" again. Without /proc/locks (not Linux) A waits 2 s instead: the test still passes with the lock, and
// the break is still caught unless B takes more than 2 s to read a file.
TEST_CASE("two ranks updating sweep.json at once both keep their point's outcome", "[sweep][sweep_index]") {
  const fs::path out = fs::temp_directory_path() / ("cortexloop_test_sweep_index_" + std::to_string(getpid()));
  fs::remove_all(out);
  fs::create_directories(out);
  nlohmann::json fresh = {{"launch", "test"}, {"interrupted", false}, {"points", nlohmann::json::array()}};
  for (int i = 0; i < 2; ++i) fresh["points"].push_back({{"index", i}, {"rank", i}, {"status", "running"}});
  tools::update_sweep_index(out, true, [&](nlohmann::json& index) {
    index = fresh;
    return true;
  });
  // The lock file's inode, to look for in /proc/locks: made here (update_sweep_index opens it, or makes it when none
  // is there), so that a writer without the lock still meets the check below.
  std::ofstream(out / "sweep.json.lock").close();
  struct stat lock_file {};
  REQUIRE(::stat((out / "sweep.json.lock").c_str(), &lock_file) == 0);

  // As run_sweep's record(): this rank's point's status, in the sweep that names its launch.
  auto ran = [](int point) {
    return [point](nlohmann::json& index) {
      if (!index.is_object() || index.value("launch", std::string()) != "test") return false;
      index["points"][point]["status"] = "ran";
      return true;
    };
  };
  std::atomic<bool> a_read{false}, b_read{false};
  bool b_seen_waiting = false;
  std::thread a([&] {
    tools::update_sweep_index(out, true, [&](nlohmann::json& index) {
      a_read = true;
      const auto give_up = std::chrono::steady_clock::now() + (fs::exists("/proc/locks") ? 60s : 2s);
      while (!b_read && std::chrono::steady_clock::now() < give_up) {
        if (flock_waiter_on(lock_file.st_ino)) {
          b_seen_waiting = true;
          break;
        }
        std::this_thread::sleep_for(1ms);
      }
      return ran(0)(index);
    });
  });
  while (!a_read) std::this_thread::sleep_for(1ms);
  tools::update_sweep_index(out, true, [&](nlohmann::json& index) {
    b_read = true;
    return ran(1)(index);
  });
  a.join();

  std::ifstream f(out / "sweep.json");
  const nlohmann::json index = nlohmann::json::parse(f);
  INFO(index.dump(2));
  CHECK(index["points"][0]["status"] == "ran");
  CHECK(index["points"][1]["status"] == "ran");  // "running": B's update lost
  // B waited for A's lock (with /proc/locks): what the test set out to provoke, not a pass by luck of timing.
  if (fs::exists("/proc/locks")) CHECK(b_seen_waiting);
  fs::remove_all(out);
}
