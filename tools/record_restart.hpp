#pragma once
// `record`'s watch for a server restarted on the endpoint it records: a new server's counters start again, and its
// session is another one, which `replay` cannot re-run as one. A restart merged silently into the recording, and
// replay then blamed ticks.npy (an outside audit, 2026-12-06).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "io/protocol/codec.hpp"

namespace cortexloop::tools {

class restart_watch {
 public:
  // Why `m` comes from another server than the messages before it (its counter went back), or nullopt. Each kind of
  // message is compared with the last of its kind only: each reaches the socket in its server's order, but readouts,
  // statuses and acks come through different queues.
  std::optional<std::string> check(const io::proto::Message& m) {
    if (const auto* r = m.payload_as_Readout()) {
      const std::pair<std::uint32_t, std::int64_t> now{r->epoch(), r->tick()};
      if (readout_ && now < *readout_)  // a Reset raises the epoch: (epoch, tick) only grows within one server
        return "a readout of epoch " + std::to_string(now.first) + " tick " + std::to_string(now.second) +
               " after one of epoch " + std::to_string(readout_->first) + " tick " + std::to_string(readout_->second);
      readout_ = now;
    } else if (const auto* s = m.payload_as_Status()) {
      if (server_ticks_ && (s->server_ticks() < *server_ticks_ || s->uptime_s() < uptime_s_))
        return "a status of " + std::to_string(s->server_ticks()) + " ticks since start after one of " +
               std::to_string(*server_ticks_);
      server_ticks_ = s->server_ticks();
      uptime_s_ = s->uptime_s();
    } else if (const auto* i = m.payload_as_Info()) {
      const std::pair<std::uint32_t, std::int64_t> now{i->epoch(), i->commands_applied()};
      if (info_ && (now.first < info_->first || now.second < info_->second))
        return "an Info of epoch " + std::to_string(now.first) + " and " + std::to_string(now.second) +
               " commands applied after one of epoch " + std::to_string(info_->first) + " and " +
               std::to_string(info_->second);
      info_ = now;
    } else if (const auto* a = m.payload_as_Applied()) {
      if (applied_ && a->index() <= *applied_)  // the server numbers the commands it applies from 0
        return "applied command " + std::to_string(a->index()) + " after command " + std::to_string(*applied_);
      applied_ = a->index();
    }
    return std::nullopt;
  }

 private:
  std::optional<std::pair<std::uint32_t, std::int64_t>> readout_, info_;  // (epoch, tick), (epoch, commands applied)
  std::optional<std::int64_t> server_ticks_, applied_;
  double uptime_s_ = 0.0;
};

}  // namespace cortexloop::tools
