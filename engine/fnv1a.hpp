#pragma once
// FNV-1a, 64 bits: the project's one hash of bytes (the ALN cascade table's key and its file's checksum, a config's
// and a readout's hash: io::fnv1a in io/protocol/session.hpp is this function). Header-only, so the engine, which
// links no io, uses it too.
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

namespace cortexloop::engine {

inline constexpr std::uint64_t kFnv1aOffset = 0xcbf29ce484222325ULL;

inline std::uint64_t fnv1a(std::span<const std::uint8_t> bytes, std::uint64_t h = kFnv1aOffset) noexcept {
  for (const std::uint8_t c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}
inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = kFnv1aOffset) noexcept {
  return fnv1a({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}, h);
}

// A hash as the files and messages show it: 16 lowercase hex digits.
inline std::string fnv1a_hex(std::uint64_t h) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace cortexloop::engine
