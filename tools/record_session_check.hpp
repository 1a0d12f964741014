#pragma once
// `record`'s check that the Info it stores (session.toml, the seed: what `replay` re-runs) belongs to the stream it
// recorded. The Info comes from the stream (topic "info", once a second) or, for a recording shorter than that, from
// GetInfo on --commands, which may be another server: `record --pub A --commands B` stored B's config and seed for
// A's readouts, exit 0, and replay then blamed the data (an outside audit, 2026-12-07). Every readout and Info of a
// server carries its session id (Info.session_id, drawn when it starts), so the two must agree.
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "io/protocol/codec.hpp"

namespace cortexloop::tools {

struct session_check {
  bool foreign = false;  // the Info is another server's: record must not store it
  nlohmann::json json;   // summary.json's "session"
};

inline std::string session_hex(std::uint64_t id) {
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64, id);
  return text;
}

// info: the Info record has (nullopt: none arrived); readout_session: the session id of the readouts recorded (0: no
// readout, or a server before session ids); info_source: where the Info came from, for the message.
inline session_check check_session(const std::optional<io::server_info>& info, std::uint64_t readout_session,
                                   const std::string& info_source, const std::string& pub) {
  session_check c;
  c.json = {{"readouts_session_id", readout_session ? nlohmann::json(session_hex(readout_session)) : nlohmann::json()},
            {"info_from", info ? nlohmann::json(info_source) : nlohmann::json()}};
  if (!info) return c;
  c.json["info_session_id"] = info->session_id ? nlohmann::json(session_hex(info->session_id)) : nlohmann::json();
  const bool checkable = readout_session != 0 && info->session_id != 0;
  c.json["checked"] = checkable;
  if (checkable && info->session_id != readout_session) {
    c.foreign = true;
    c.json["foreign_info"] = true;
    std::fprintf(stderr,
                 "record: error: the Info from %s is of another server (session %s) than the readouts recorded from "
                 "--pub %s (session %s): --pub and --commands are not one server's; its config and seed are not "
                 "stored\n",
                 info_source.c_str(), session_hex(info->session_id).c_str(), pub.c_str(),
                 session_hex(readout_session).c_str());
  }
  return c;
}

}  // namespace cortexloop::tools
