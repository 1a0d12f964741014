#pragma once
// `serve --endpoints-file PATH`: the endpoints as bound, for a client that let serve choose its ports
// (tcp://127.0.0.1:*). A port the client picks free beforehand can be taken by another program before serve binds
// it (a ZeroMQ client's outgoing connection takes its local port from the same range): serve then failed with
// "Address already in use" (seen in CI's parallel Python tests). The file appears whole (written beside it, then
// renamed), so a reader that sees it can read both lines:
//   pub tcp://127.0.0.1:40321
//   commands tcp://127.0.0.1:40322
#include <cstring>
#include <stdexcept>
#include <string>

#include "io/recording/output_dir.hpp"

namespace cortexloop::tools {

// Written whole (io::write_text_file: a fresh mkstemp file beside it, renamed; a fixed PATH.partial was followed if
// someone had put a link there, and serve overwrote the file it pointed at: an outside check, 2026-12-05).
inline void write_endpoints_file(const std::string& path, const std::string& pub, const std::string& commands) {
  try {
    io::write_text_file(path, "pub " + pub + "\ncommands " + commands + "\n");
  } catch (const io::file_write_error& e) {
    throw std::runtime_error("cannot write --endpoints-file " + path + ": " + std::strerror(e.code()));
  }
}

}  // namespace cortexloop::tools
