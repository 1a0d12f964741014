#pragma once
// Plain records that cross the SPSC queues between the I/O thread and the real-time thread. They are
// trivially copyable, fixed-size and hold no pointers at all (owning or into I/O-side memory), so the real-time thread can
// read and write them without allocating. io/protocol/codec.hpp turns them into protocol messages and back.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "engine/readout.hpp"
#include "firmware_sim/device.hpp"

namespace cortexloop::engine {
class engine;
}

namespace cortexloop::io {

// Mirrors protocol::ErrorCode (io/protocol/schema/cortexloop.fbs); the numbers are the wire values.
enum class error_code : std::uint16_t {
  ok = 0,
  malformed = 1,
  unknown_command = 2,
  out_of_range = 3,
  wrong_mode = 4,
  queue_full = 5,
  unknown_parameter = 6,
  busy = 7,
  shutting_down = 8,
};

// Mirrors protocol::Mode.
enum class run_mode : std::uint8_t { realtime = 0, fast = 1, stepped = 2 };

enum class command_kind : std::uint8_t {
  set_stimulation,
  clear_stimulation,
  set_drive_rate,
  pause,
  resume,
  reset,
  step,
  set_parameter,
  ping,
  set_controller,
  clear_controller,
  get_info,  // answered by the I/O thread; never reaches the real-time thread
};

// The whitelist of SetParameter names.
enum class parameter_id : std::uint8_t { drive_rate_Hz, stream_spikes, stream_readout_every };

inline constexpr std::size_t kMaxRingUnits = 1024;  // the server refuses configs with larger rings

// A decoded, validated command on its way to the real-time thread.
struct command {
  command_kind kind = command_kind::ping;
  std::uint64_t token = 0;  // the I/O thread's handle for the sender; echoed in the event
  std::uint64_t seq = 0;
  std::int64_t client_send_ns = 0;
  std::uint8_t channel = 0;       // set/clear_stimulation; set/clear_controller: the slot
  bool all_channels = false;      // clear_stimulation, clear_controller
  firmware_sim::site site{};
  firmware_sim::program program{};
  // SetPrograms arrive as group_size records pushed at once (one queue write): the real-time thread applies
  // the whole group in one tick. start_tick < 0: the next tick.
  std::uint8_t group_size = 1, group_index = 0;
  std::int64_t start_tick = -1;
  firmware_sim::controller_params controller{};
  double value = 0.0;  // drive rate (Hz) or parameter value
  parameter_id parameter = parameter_id::drive_rate_Hz;
  std::uint64_t seed = 0;
  std::uint32_t ticks = 0;  // step: 0 cancels what is left of the Step budget
  // The per-unit weights of a ring_position site (set_stimulation: `site`; set_controller: the controller's
  // output site), firmware_sim::ring_site_profile() computed by the I/O thread when it decoded the command: its
  // n_units exp cost ~7 us at 1024 units, too much for the real-time thread (64 commands a tick would take
  // ~0.45 ms). n_ring_profile values, the ring's units; 0 for every other command. The real-time thread refuses
  // a ring_position record without it (never computes it). Stored in the record (4 kB), like the program's
  // waveform samples: the queue's fixed 64 slots bound the memory (+256 kB, pre-faulted with the queue), and no
  // shared pool is needed whose slots would have to be handed back across threads; a SetPrograms group carries
  // one profile per program.
  std::uint32_t n_ring_profile = 0;
  std::array<float, kMaxRingUnits> ring_profile{};
  // No pointers: a Reset's new engine travels through realtime_queues::engine_slot (always owned by a
  // unique_ptr there or in the loop), so a record lost in a full queue can never leak an engine.
};

// The reason of a program or controller refused for a start_tick already past; the I/O thread's ack adds the
// numbers (command_event::start_tick and drain_tick), which this thread cannot format without allocating.
inline constexpr std::string_view kStartTickPast = "start_tick is already past when the command was applied";
// A channel whose output an on-device controller sets takes no other program or controller (device::channel_driven);
// the ack names the channel (command_event::busy_channel: in a SetPrograms group, which of its channels).
inline constexpr std::string_view kChannelDriven =
    "is the output.channel of an active on-device controller (open_loop, responsive, pi_clamp or phase_locked), "
    "which would drive this program: ClearController it first, or use another channel";
inline constexpr std::string_view kOutputDriven =
    "already has another active on-device controller (one per channel, an External one included): ClearController "
    "it first, or use another channel";

// What the real-time thread did with a command (becomes the command's ack).
struct command_event {
  std::uint64_t token = 0;
  bool accepted = false;
  error_code code = error_code::ok;
  const char* reason = "";  // a string literal: no allocation on the real-time thread
  std::int64_t tick_applied = -1;
  std::uint32_t epoch = 0;
  std::int64_t applied_ns = 0;
  parameter_id parameter = parameter_id::drive_rate_Hz;  // set_parameter: what was set, and to what
  double value = 0.0;
  command_kind kind = command_kind::ping;
  // When the real-time thread applied it: the engine tick at whose start (its next tick), and the epoch, both
  // before a Reset's swap. tick_applied differs for a program with a later start_tick and for a Reset.
  std::int64_t drain_tick = -1;
  std::uint32_t drain_epoch = 0;
  std::int64_t start_tick = -1;  // the start_tick asked for (SetStimulation, SetController, SetPrograms)
  std::int32_t busy_channel = -1;  // refused with kChannelDriven or kOutputDriven: the channel
};

// The ack's reason for e, with the numbers the real-time thread left for the I/O thread to format (it allocates).
std::string event_reason(const command_event& e);

struct readout_record {
  std::int64_t tick = 0;
  std::uint32_t epoch = 0;
  double t_ms = 0.0;
  std::int64_t tick_start_ns = 0;
  engine::population_readout exc, inh;
  double lfp_proxy_nA = 0.0;
  std::int64_t diverged = 0;
  std::uint32_t n_ring_units = 0;  // 0: no ring; the arrays below hold n_ring_units values
  std::array<float, kMaxRingUnits> ring_rates_exc_Hz{}, ring_rates_inh_Hz{}, vsdi_percent{}, ring_stim_pA{};
  firmware_sim::device_readout device{};
  engine::aln_readout aln{};  // aln.present: the config has an [aln] node
  std::int64_t ring_out_of_table = 0;  // ring unit steps of the tick read past an edge (tick_readout::ring_out_of_table)
};

// A safety event on its way to topic `safety`, apart from the readouts: they went out only inside the readout that
// carried them, so a readout dropped from a full queue lost its tick's device stop without a count (an outside
// audit, 2026-12-07: the I/O thread stalled 2 s, a DirectCurrent stop never published).
struct safety_record {
  firmware_sim::safety_event event{};
  std::int64_t tick = 0;  // the tick whose readout carries it too
  std::uint32_t epoch = 0;
};

inline constexpr std::size_t kSpikeChunk = 1024;

struct spike_chunk {
  std::int64_t tick = 0;
  std::uint32_t epoch = 0;
  std::uint32_t n = 0;
  std::array<std::int64_t, kSpikeChunk> step{};
  std::array<std::uint32_t, kSpikeChunk> neuron{};
};

// Workers whose compute time a status reports (simulation.threads may be larger on a big machine: the rest are
// left out of the per-worker list, not of the imbalance).
inline constexpr std::size_t kMaxStatusWorkers = 16;

// Once a second of wall time, from the real-time thread. "window" = since the previous record.
struct status_record {
  run_mode mode = run_mode::realtime;
  bool paused = false;
  bool paused_in_window = false;  // paused at some time in the window: its ticks and real-time factor are short
  std::int64_t server_ticks = 0, engine_tick = 0;
  std::uint32_t epoch = 0;
  double uptime_s = 0, window_s = 0;
  std::int64_t window_ticks = 0;
  double realtime_factor = 0;
  std::int64_t deadline_misses = 0, window_deadline_misses = 0, resyncs = 0;
  std::int64_t ticks_skipped = 0;  // tick periods dropped at the resyncs (realtime_loop::run)
  double lateness_p50_us = 0, lateness_p99_us = 0, lateness_p999_us = 0, lateness_max_us = 0;
  double lateness_total_p99_us = 0, lateness_total_p999_us = 0, lateness_total_max_us = 0;
  double compute_p50_us = 0, compute_p99_us = 0, compute_max_us = 0;
  std::int64_t readout_drops = 0, spike_drops = 0, event_drops = 0;
  std::int64_t safety_drops = 0;  // safety events lost because their own queue was full (kSafety unread)
  // Statuses lost before this one because their queue was full (16 unread: the I/O thread stalled 16 s); the totals
  // above survive in the next, a lost window's own figures (percentiles, rates) do not.
  std::int64_t status_drops = 0;
  double rt_cpu_percent = 0;
  double rate_exc_Hz = 0, rate_inh_Hz = 0;
  // Since the start, the sum of engine::tick_readout::ring_out_of_table: an ALN ring's unit steps outside its cascade
  // table's grid; a Zerlaut ring's unit steps with mu_V outside the transfer function's fitted domain (below E_inh
  // or above max_mu_v_mV). Console only.
  std::int64_t ring_out_of_table_unit_steps = 0;
  // Window: each network worker's time stepping its partitions, mean per tick (worker 0 is the real-time thread),
  // and the imbalance max / mean - 1 of the workers' totals (0: equal shares).
  std::uint32_t n_workers = 1;
  std::array<double, kMaxStatusWorkers> worker_compute_us{};
  double worker_imbalance = 0;
};

static_assert(std::is_trivially_copyable_v<command>);
static_assert(std::is_trivially_copyable_v<command_event>);
static_assert(std::is_trivially_copyable_v<readout_record>);
static_assert(std::is_trivially_copyable_v<spike_chunk>);
static_assert(std::is_trivially_copyable_v<status_record>);

}  // namespace cortexloop::io
