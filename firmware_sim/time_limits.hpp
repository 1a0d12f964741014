#pragma once
// The longest time a stimulation program or an on-device controller may name, for the stimulator and the controllers
// alike (one value, so the two cannot drift apart).
#include <cstdint>

namespace cortexloop::firmware_sim {

// One hour, in microseconds: delays, durations, ramps, burst and controller periods, refractory times, timeouts.
// A longer one is taken for a typo (ms given as us), and the bound keeps products of times with rates and step counts
// inside int64.
inline constexpr std::int64_t kMaxTimeUs = 3'600'000'000;

// A program's frequency: a sine's in (0, kMaxFrequencyHz], a pulse train's in [kMinPulseFrequencyHz, kMaxFrequencyHz]
// (one pulse an hour at the least), for the stimulator's checks and for `stim`'s refusal before sending.
inline constexpr double kMaxFrequencyHz = 1000.0;
inline constexpr double kMinPulseFrequencyHz = 1e6 / static_cast<double>(kMaxTimeUs);

constexpr bool in_time_range(std::int64_t us) noexcept { return us >= 0 && us <= kMaxTimeUs; }

}  // namespace cortexloop::firmware_sim
