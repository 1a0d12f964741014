#pragma once
// Shared by the libFuzzer targets (fuzz/README.md): the closed_loop.toml device loaded once, a fatal check that
// reports through abort() (libFuzzer saves the input), and a driver that steps a firmware_sim::device and checks
// that everything it delivers and reports is finite.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "engine/params.hpp"
#include "firmware_sim/device.hpp"

namespace cortexloop::fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line, double value = 0.0) {
  std::fprintf(stderr, "fuzz check failed: %s (value %.17g) at %s:%d\n", what, value, file, line);
  std::abort();
}
#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond)) ::cortexloop::fuzz::fail(#cond, __FILE__, __LINE__); \
  } while (0)
#define FUZZ_FINITE(x)                                                    \
  do {                                                                    \
    const double fuzz_v_ = static_cast<double>(x);                        \
    if (!std::isfinite(fuzz_v_)) ::cortexloop::fuzz::fail("finite: " #x, __FILE__, __LINE__, fuzz_v_); \
  } while (0)

// The default config with the simulated neurostimulator: two electrodes, sensing channels, the ring.
struct closed_loop_setup {
  engine::engine_params engine;
  firmware_sim::device_params device;
};
const closed_loop_setup& closed_loop();
// A device of that config, built once: targets copy it (a copy is a fresh device, far cheaper than building one).
const firmware_sim::device& closed_loop_device();
// A fresh device of that config for this input: one work device, reset to closed_loop_device() by copy
// assignment (same state as a new copy, but its vectors -- the charge monitors' windows, the ring buffers --
// keep their storage: no allocation, no page faults per input; copying into new storage was 14 % of
// fuzz_command's time, page faults on top).
// Valid until the next call.
firmware_sim::device& fresh_device();

// Steps `dev` for `steps` steps from `first_step` (a ring step every `ring_every` steps, synthetic spike
// counts), fills a readout every 10 steps, and checks every current, readout value and ring current is finite.
// With FUZZ_DUMP set in the environment: prints a (site, program) to stderr (reproducing a saved input).
void dump(const firmware_sim::site& s, const firmware_sim::program& p, const char* what);

void step_and_check(firmware_sim::device& dev, std::int64_t first_step, int steps, int ring_every = 5);

// True the first time this (site, program, channel) is seen in this process (by a 64-bit hash of every field,
// doubles by bit pattern, the samples up to n_samples). Stepping a fresh device is deterministic, so a harness
// that already stepped the same (site, program, channel) from the same start learns nothing new by stepping it
// again: libFuzzer's mutations often change only the bytes a harness reads after the program (fuzz_program's
// charge intervals), leaving the program as it was. At most kMaxRemembered hashes; then it starts over.
bool first_time(const firmware_sim::site& s, const firmware_sim::program& p, std::uint64_t channel);
inline constexpr std::size_t kMaxRemembered = 1u << 20;

}  // namespace cortexloop::fuzz
