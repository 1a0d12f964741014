#pragma once
// What makes a recording reproducible (docs/protocol.md, "Recording and replay"): the server publishes every
// command that reached the real-time thread (topic "applied"), `cortexloop record` stores them with the
// resolved config and a hash of every readout, and `cortexloop replay` re-runs the session and compares.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "engine/fnv1a.hpp"
#include "io/runtime/realtime_records.hpp"
#include "io/protocol/schema/cortexloop_generated.h"

namespace cortexloop::io {

namespace proto = ::cortexloop::protocol;

inline constexpr std::string_view kTopicApplied = "applied";

// One command the real-time thread applied (or refused when applying it).
struct applied_fields {
  std::int64_t index = 0;           // 0, 1, 2 ... per server
  std::int64_t tick = -1;           // engine tick at whose start it was applied
  std::uint32_t epoch = 0;          // epoch then
  bool accepted = false;
  error_code code = error_code::ok;
  std::int64_t tick_applied = -1;   // as in the ack
  std::uint32_t epoch_applied = 0;
  std::uint64_t seq = 0;
  std::span<const std::uint8_t> command;  // the Message{Command} bytes as received
};
void encode_applied(flatbuffers::FlatBufferBuilder& b, const applied_fields& a);

// FNV-1a, 64 bits (engine/fnv1a.hpp).
using ::cortexloop::engine::fnv1a;

// A hash of every field of a readout but the wall-clock ones (tick_start_ns, publish_ns) and session_id, value by value and
// bit for bit (a double's bit pattern, so -0.0 and 0.0 differ): equal hashes = bit-identical readouts.
std::uint64_t readout_hash(const proto::Readout& r);

std::string base64_encode(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace cortexloop::io
