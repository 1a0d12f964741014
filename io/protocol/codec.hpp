#pragma once
// FlatBuffers <-> the plain records of realtime_records.hpp. Decoding verifies the buffer and validates
// every value against its documented range (docs/protocol.md), so what reaches the real-time thread is
// known to be runnable; a refusal carries an error code and a reason naming the field, value and range.
// Runs on the I/O thread and in clients: it may allocate.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "engine/params.hpp"
#include "firmware_sim/sensing.hpp"
#include "io/protocol/build_info.hpp"
#include "io/runtime/realtime_records.hpp"
#include "io/protocol/schema/cortexloop_generated.h"

namespace cortexloop::io {

namespace proto = ::cortexloop::protocol;

inline constexpr double kProtocolMaxDriveRate_Hz = 200.0;
// SetParameter stream.readout_every: at most every 1000th readout published (replay bounds a recording's gaps by it).
inline constexpr int kMaxReadoutEvery = 1000;
// Step.ticks: at most 10^7 ticks per Step (2.8 hours of 1 ms ticks); 0 cancels the budget left.
inline constexpr std::uint32_t kMaxStepTicks = 10'000'000;
// Largest start_tick of a SetPrograms or SetController (31.7 years of 1 ms ticks). The real-time thread turns it
// into a step (start_tick x steps_per_tick) and the device into microseconds; at the longest tick the config allows
// (1000 ms) 10^12 ticks are 10^18 us, which int64 holds. Unbounded, 2^62 overflowed there (undefined behaviour on
// the real-time thread) and came back as "already past". `stim --start-tick` checks it as typed.
inline constexpr std::int64_t kMaxStartTick = 1'000'000'000'000;
// Info.schema_version: raised whenever the schema gains a field, message or enum value (docs/protocol.md).
inline constexpr std::uint32_t kSchemaVersion = 4;

// What the server can run: checked while decoding.
struct decode_limits {
  run_mode mode = run_mode::realtime;
  double dt_ms = 0.1;
  firmware_sim::stimulator_layout layout{};  // the device: ring geometry, electrodes, safety limits
  std::vector<firmware_sim::sensing_params> sensing{};  // the config's sensing channels (a controller's reach)
  // SetDriveRate / network.drive.rate_Hz: at most the protocol's 200 Hz and what the engine can represent
  // (drive_limits_of); the why is quoted in the refusal.
  double max_drive_rate_Hz = kProtocolMaxDriveRate_Hz;
  std::string max_drive_rate_why = "the protocol's bound";
  // The stepped network's drive (k_exc; 0 without one): a rate its cells draw more than 1 % off is refused, as in a
  // config (engine::drive_resolution_problem).
  double drive_k_exc = 0;
  // Why this config's model has no drive a rate would change (engine::no_drive_reason; empty: it has one). Every
  // SetDriveRate is then refused with it, whatever the rate: a success ack for a change that does nothing misled.
  std::string no_drive_why{};
  // Why a Population site of each population (exc, inh) would reach nothing: the stepped network has no cell there and
  // neither a ring nor an [aln] node receives it (io::empty_population_reason; empty: it reaches something). A
  // stimulation command onto it is refused with it (an outside audit, 2026-12-07: acked, and read back as delivered).
  std::array<std::string, 2> empty_population_why{};
};

// What SetDriveRate may ask of an engine built from `p`: the network's Bernoulli drive fires at most once per
// step, p = dt * K_e * rate <= 1, so rate <= 1 / (dt * K_e) (25 Hz at dt = 0.1 ms, K_e = 400); above that the
// network would saturate while the ring followed the full rate. Without a network, the protocol's 200 Hz. A model
// without a drive (engine::no_drive_reason: the Cakan 2020 network, an [aln] node or ALN ring alone) accepts none:
// max 0 Hz, and no_drive_why says why.
void set_drive_limits(decode_limits& limits, const engine::engine_params& p);

// Fills limits.empty_population_why from `p`: a population the stepped network has no cell of, where no ring and no
// [aln] node runs (a one-cell config's other population, exc_fraction 0 or 1, a config that steps no network).
void set_population_limits(decode_limits& limits, const engine::engine_params& p);

struct decoded_command {
  bool ok = false;
  command cmd{};                  // valid when ok (token and new_engine are the caller's to fill)
  std::vector<command> group;     // SetPrograms: every record of the group (cmd is the first); else empty
  error_code code = error_code::ok;
  std::string reason;             // why it was refused
  std::uint64_t seq = 0;          // best effort when refused: 0 if the buffer could not be read
  std::int64_t client_send_ns = 0;
};

decoded_command decode_command(std::span<const std::uint8_t> bytes, const decode_limits& limits);

// The Message in a buffer if it verifies, else nullptr. The buffer must outlive the result. end_bytes, if given,
// receives where the buffer's verified tables, vectors and strings end (rounded up to 4 bytes, as FlatBuffers pads).
const proto::Message* verify_message(std::span<const std::uint8_t> bytes, std::size_t* end_bytes = nullptr);

// Names of things on the wire, for messages and tools.
std::string_view to_string(error_code code) noexcept;
std::string_view to_string(command_kind kind) noexcept;
std::string_view to_string(run_mode mode) noexcept;
// The SetParameter whitelist: "network.drive.rate_Hz", "stream.spikes", "stream.readout_every".
bool parse_parameter(std::string_view name, parameter_id& out) noexcept;
std::string_view to_string(parameter_id p) noexcept;

// Encoders. Each resets the builder and finishes one Message with the file identifier; the bytes are
// builder.GetBufferSpan() until the builder is used again.
// The fields of an Ack. The server encodes from a view of its reason (no copy on the I/O path); a client
// keeps a decoded ack, so it owns the reason (ack_info in client.hpp).
template <class Reason>
struct basic_ack {
  std::uint64_t seq = 0;
  bool accepted = false;
  error_code code = error_code::ok;
  Reason reason;
  std::int64_t tick_applied = -1;
  std::uint32_t epoch = 0;
  std::int64_t client_send_ns = 0, server_recv_ns = 0, server_applied_ns = 0, server_send_ns = 0;
};
using ack_fields = basic_ack<std::string_view>;

// What GetInfo and topic "info" tell a client.
struct server_info {
  std::string version;
  run_mode mode = run_mode::realtime;
  double dt_ms = 0, tick_ms = 0;
  std::int32_t steps_per_tick = 0;
  std::uint64_t seed = 0;
  std::uint32_t epoch = 0;
  std::int64_t n_exc = 0, n_inh = 0;
  std::int32_t ring_units = 0;
  double ring_length_mm = 0;
  std::int32_t stim_channels = 0;
  double max_drive_rate_Hz = 0;
  std::int64_t max_command_bytes = 0;
  // Reproducibility: the resolved config text the server was built from ("" when not known), the binary,
  // and how many commands have reached the real-time thread so far.
  std::string config_toml;
  build_info build;
  std::int64_t commands_applied = 0;
  bool aln = false;  // an [aln] node runs: readouts carry it
  firmware_sim::safety_limits safety{};  // the device's limits in force
  std::int32_t electrodes = 0, sensing_channels = 0;
  std::uint32_t schema_version = kSchemaVersion;
  std::string network_model;  // engine::network_model_name
  // Drawn once when the server starts (io::server), also carried by its readouts: tells one server's stream from
  // another's (record checks its GetInfo answer against the stream it recorded). 0: not known (an older server).
  std::uint64_t session_id = 0;
};
server_info info_of(const engine::engine_params& p, run_mode mode, const decode_limits& limits,
                    std::int64_t max_command_bytes);

// info: non-null for the ack of GetInfo.
void encode_ack(flatbuffers::FlatBufferBuilder& b, const ack_fields& a, const server_info* info = nullptr);
void encode_info(flatbuffers::FlatBufferBuilder& b, const server_info& info);
// session_id: the server's (server_info::session_id), carried by every readout so that a recorder can tell whose it is.
void encode_readout(flatbuffers::FlatBufferBuilder& b, const readout_record& r, std::int64_t publish_ns,
                    std::uint64_t session_id = 0);
void encode_spikes(flatbuffers::FlatBufferBuilder& b, const spike_chunk& s, double dt_ms);
// Topic "safety": one event of the device (also carried in the readout of its tick).
void encode_safety(flatbuffers::FlatBufferBuilder& b, const firmware_sim::safety_event& e, std::uint32_t epoch);

// Counters only the I/O thread knows, merged into the status message.
struct io_counters {
  std::int64_t commands_received = 0, commands_refused = 0, commands_dropped = 0, publish_drops = 0;
  std::int64_t ack_drops = 0;  // acks the command socket would not take for their client (gone or not reading)
  double io_cpu_percent = 0.0;
  double readout_age_p99_us = 0.0, readout_age_max_us = 0.0;  // window: tick start -> the I/O thread takes its readout
  std::int64_t readout_every = 1;                             // stream.readout_every now
  std::string_view scheduling;
  // CURVE: on, and the ZAP handler's admitted / refused handshakes so far (io/security/security.hpp, zap_handler).
  bool curve = false;
  std::int64_t curve_accepted = 0, curve_denied = 0;
};
void encode_status(flatbuffers::FlatBufferBuilder& b, const status_record& s, const io_counters& io);

// Client side: a command from its plain form (token and new_engine are ignored).
void encode_command(flatbuffers::FlatBufferBuilder& b, const command& c);

// Topics of the PUB socket (first frame of each multipart message).
inline constexpr std::string_view kTopicReadout = "readout";
inline constexpr std::string_view kTopicStatus = "status";
inline constexpr std::string_view kTopicSpikes = "spikes";
inline constexpr std::string_view kTopicAck = "ack";
inline constexpr std::string_view kTopicSafety = "safety";
inline constexpr std::string_view kTopicInfo = "info";

}  // namespace cortexloop::io
