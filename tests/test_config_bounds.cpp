// What a config may cost before it is refused: its text is read to at most io::kMaxConfig_bytes (16 MiB), whatever
// the name is (a device, a FIFO that never ends, a huge file), and a device's net-charge window is counted against
// the machine's memory as the network's synapses and spike log are. Each refusal names the file or the key.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "io/config/config_file.hpp"
#include "io/config/config_loader.hpp"
#include "io/config/machine_memory.hpp"
#include "io/config/network_memory.hpp"
#include "test_support.hpp"

using cortexloop::io::config_error;
using cortexloop::io::load_config;
using cortexloop::testing::source_path;

namespace {
std::string error_loading(const std::filesystem::path& file) {
  try {
    load_config(file);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

struct temp_dir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("cortexloop_test_config_bounds_" + std::to_string(getpid()));
  temp_dir() {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};
}  // namespace

// /dev/zero as the config, or as a base a config names, was read until memory ran out (5-16 GB RSS, no error), and a
// 300 MB file took 594 MB and 9 s before its syntax error (an outside audit, 2026-12-07). Reference: docs/engine.md's
// limit, 16 MiB. Breaks tried: the device cases out of not_a_config_file -> /dev/zero is "larger than 16 MiB" (bounded,
// but not named as a device), the first two checks fail; the size check and the read's bound removed (the stream read
// whole) -> the 17 MiB file is read and parsed ("TOML syntax error"), the third check fails.
TEST_CASE("a device as a config or a base is refused by name, and a config beyond 16 MiB unread", "[config][base]") {
  temp_dir dir;
  CHECK_THAT(error_loading("/dev/zero"), Catch::Contains("/dev/zero: a character device, not a config file"));
  std::ofstream(dir.path / "devzero.toml") << "base = \"/dev/zero\"\n";
  CHECK_THAT(error_loading(dir.path / "devzero.toml"),
             Catch::Contains("devzero.toml: base = \"/dev/zero\": a character device, not a config file"));
  const auto huge = dir.path / "huge.toml";
  std::ofstream(huge) << "# a comment\n";
  std::filesystem::resize_file(huge, (std::size_t{17} << 20));  // sparse: costs no disk
  CHECK_THAT(error_loading(huge), Catch::Contains("huge.toml: larger than 16 MiB, the most a config file may be"));
  // As a base it is refused naming the config whose base it is (that named only the base: an outside audit's note,
  // 2026-12-07; break tried: resolve_base_in's catch removed -> the message starts at the base, this fails).
  std::ofstream(dir.path / "names_huge.toml") << "base = \"huge.toml\"\n";
  CHECK_THAT(error_loading(dir.path / "names_huge.toml"),
             Catch::Contains("names_huge.toml: base = \"huge.toml\": " + huge.string() + ": larger than 16 MiB"));
  // At the limit it is read (and then parsed: the NULs are no TOML).
  std::filesystem::resize_file(huge, cortexloop::io::kMaxConfig_bytes);
  CHECK_THAT(error_loading(huge), Catch::Contains("TOML syntax error"));
}

// A FIFO is read once written to (tests/test_config.cpp); one whose writer never stops is cut at the limit, not read
// into all of memory. Reference: the limit, 16 MiB: the writer gets no further than it, the pipe's buffer and a chunk.
// Break tried: read_bounded's check against twice the limit -> the writer got 32 MiB in, the second check fails.
TEST_CASE("a FIFO whose writer never stops is read to 16 MiB and refused", "[config][base]") {
  temp_dir dir;
  const auto fifo = dir.path / "endless.toml";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  std::signal(SIGPIPE, SIG_IGN);  // the writer learns of the reader's close from EPIPE
  std::size_t written = 0;
  std::thread writer([&] {
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    const std::vector<char> chunk(std::size_t{1} << 16, '#');
    for (ssize_t n; fd >= 0 && (n = ::write(fd, chunk.data(), chunk.size())) > 0;) written += static_cast<std::size_t>(n);
    if (fd >= 0) ::close(fd);
  });
  CHECK_THAT(error_loading(fifo), Catch::Contains("endless.toml: larger than 16 MiB, the most a config file may be"));
  writer.join();
  CHECK(written < cortexloop::io::kMaxConfig_bytes + (std::size_t{1} << 20));
}

// The net-charge monitor holds two doubles per step of its window for each electrode: net_charge_window_ms = 60000 at
// dt 1 us with 8 electrodes took 7.5 GB and 12 s of set-up, unchecked (an outside audit, 2026-12-07). It is counted
// with the network's synapses and spike log against the machine's memory. Reference: the network's least memory as the
// loader counts it (N (N - 1) p_connect bytes of synapses, N x steps per tick x 12 bytes of spike log: config_loader's
// refuse_beyond_memory) and the window's (electrodes x window / dt x 16 bytes): the network here leaves half the
// 60 s window's 1.92 GB (2 electrodes) of 80 % of the machine's memory free. Break tried: read_device without
// refuse_window_beyond_memory -> the 60 s window loads, the first check fails.
TEST_CASE("a net-charge window that would not fit in memory beside the network is refused naming its key",
          "[config][device]") {
  const double memory_bytes = cortexloop::io::machine_memory_bytes();
  if (memory_bytes < 4e9) {
    WARN("not checked: this machine's memory is unknown or under 4 GB");
    return;
  }
  const auto file = source_path("configs/closed_loop.toml");  // 2 electrodes, p_connect 0.05, tick 1 ms
  constexpr double kWindow60sBytes = 2 * 60'000'000.0 * 16;  // 2 electrodes x 6e7 steps x 16 bytes
  constexpr double p = 0.05, log_bytes_per_cell = 1000.0 * 12;  // 1000 steps of 1 us per 1 ms tick
  const double target = cortexloop::io::kUsableShare * memory_bytes - kWindow60sBytes / 2;  // the network's part
  const double n = std::floor((-log_bytes_per_cell + std::sqrt(log_bytes_per_cell * log_bytes_per_cell + 4 * p * target)) /
                              (2 * p));
  const std::vector<std::string> network = {"simulation.dt_ms=0.001", "network.n_neurons=" + std::to_string(
                                                                                               static_cast<long long>(n))};
  const auto error_with_window = [&](const char* window_ms) {
    std::vector<std::string> set = network;
    set.push_back(std::string("device.safety.net_charge_window_ms=") + window_ms);
    try {
      const auto engine = load_config(file, set);  // the network alone fits
      cortexloop::io::load_device_config(file, set, engine);
    } catch (const config_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error_with_window("60000"),
             Catch::StartsWith("--set device.safety.net_charge_window_ms") &&
                 Catch::Contains("6e+07 steps of simulation.dt_ms in the net-charge window for each of 2 electrodes") &&
                 Catch::Contains("needs 1.92 GB") && Catch::Contains("more than 80 % of this machine's"));
  CHECK(error_with_window("20000").empty());  // 0.64 GB: fits
}

// Under mpirun each of K ranks builds the synapse rows of its own ~1/K of the cells (not a sweep's: whole ones): the loader counted the whole
// network in every rank, so a network split over machines for their memory was refused on each (an outside audit,
// 2026-12-07). Reference: the rows' bytes (N (N - 1) p_connect) against 80 % of this machine's memory, as this
// process's part (1/K) and this machine's (L/K, L of the ranks here), from the launcher's environment
// (OMPI_COMM_WORLD_SIZE, OMPI_COMM_WORLD_LOCAL_SIZE). A network whose rows are 1.5 times the room: refused alone and
// with 4 ranks all on this machine, loaded with 4 ranks of which this machine runs one. Break tried:
// network_memory_share_now() returning {1, 1} -> the one-rank-here case refused, the second check fails.
TEST_CASE("under mpirun the memory check counts this process's and this machine's share of the network",
          "[config][mpi]") {
  const double memory_bytes = cortexloop::io::machine_memory_bytes();
  if (memory_bytes < 4e9) {
    WARN("not checked: this machine's memory is unknown or under 4 GB");
    return;
  }
  const double n = std::ceil(std::sqrt(1.5 * cortexloop::io::kUsableShare * memory_bytes / 0.05));  // p_connect 0.05
  const std::vector<std::string> set = {"network.n_neurons=" + std::to_string(static_cast<long long>(n))};
  const auto error_with_ranks = [&](const char* ranks, const char* local) {
    if (ranks) {
      setenv("OMPI_COMM_WORLD_SIZE", ranks, 1);
      setenv("OMPI_COMM_WORLD_LOCAL_SIZE", local, 1);
    }
    std::string error;
    try {
      load_config(source_path("configs/zerlaut2018_network.toml"), set);
    } catch (const config_error& e) {
      error = e.what();
    }
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    return error;
  };
  CHECK_THAT(error_with_ranks(nullptr, nullptr), Catch::Contains("their rows need at least") &&
                                                     Catch::Contains("more than 80 % of this machine's"));
  CHECK(error_with_ranks("4", "1").empty());
  CHECK_THAT(error_with_ranks("4", "4"), Catch::Contains("(of which each of mpirun's 4 ranks builds ~1/4, 4 of them "
                                                         "on this machine), more than 80 % of this machine's"));
  // A sweep's ranks each step whole networks of their own points: counted whole in each (break tried: the sweep's
  // setting ignored -> loaded, this fails).
  cortexloop::io::ranks_split_one_network() = false;
  const std::string sweep_error = error_with_ranks("4", "1");
  cortexloop::io::ranks_split_one_network() = true;
  CHECK_THAT(sweep_error, Catch::Contains("their rows need at least"));
}
