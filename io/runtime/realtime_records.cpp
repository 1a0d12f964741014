#include "io/runtime/realtime_records.hpp"

namespace cortexloop::io {

std::string event_reason(const command_event& e) {
  // A start_tick already past: the numbers a client needs to correct itself.
  if (e.reason == kStartTickPast)
    return "start_tick " + std::to_string(e.start_tick) + " is already past: the command was applied at the start of "
           "tick " + std::to_string(e.drain_tick) + " (the earliest start_tick then; -1 starts on the next tick)";
  // A channel some controller drives: which one (in a SetPrograms group of up to 8 channels the user could not tell).
  if (e.reason == kChannelDriven || e.reason == kOutputDriven)
    return "channel " + std::to_string(e.busy_channel) + " " + e.reason;
  return e.reason;
}

}  // namespace cortexloop::io
