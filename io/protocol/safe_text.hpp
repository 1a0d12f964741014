#pragma once
// Text that leaves the server (ack reasons) or reaches a file (acks.jsonl) whatever a client sent: valid
// UTF-8, and bounded, so that a name of 100 MB or of random bytes cannot bloat an ack or break a JSON writer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cortexloop::io {

// Longest client-supplied string echoed in a reason (a SetParameter name), in bytes.
inline constexpr std::size_t kMaxEchoedName_bytes = 64;
// Longest reason in an ack, in bytes (longer ones are cut, with a marker).
inline constexpr std::size_t kMaxReason_bytes = 512;

// Length of the valid UTF-8 sequence at the start of s (1-4), or 0 if it does not start with one
// (overlong forms, surrogates and code points above U+10FFFF are invalid, as in RFC 3629).
inline std::size_t utf8_sequence_length(std::string_view s) noexcept {
  if (s.empty()) return 0;
  const auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  const std::uint8_t c = b(0);
  if (c < 0x80) return 1;
  std::size_t n;
  std::uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c == 0xE0) n = 3, lo = 0xA0;
  else if (c >= 0xE1 && c <= 0xEC) n = 3;
  else if (c == 0xED) n = 3, hi = 0x9F;
  else if (c >= 0xEE && c <= 0xEF) n = 3;
  else if (c == 0xF0) n = 4, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3) n = 4;
  else if (c == 0xF4) n = 4, hi = 0x8F;
  else return 0;
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  return n;
}

// Whether control characters are written as escapes: a client's text echoed in a reason is printed by other
// clients' terminals and logs, where a NUL ends a C string and an ESC or a C1 CSI (U+009B) starts a terminal command.
enum class control_chars { keep, escape };

// s as valid UTF-8: each byte that does not start a valid sequence becomes U+FFFD. At most max_bytes of s
// are kept (never splitting a sequence); a cut is marked "...(+N bytes)" with N the bytes left out. With
// control_chars::escape, C0 controls and DEL are written "\xNN" and C1 controls "\u00NN".
inline std::string sanitize_utf8(std::string_view s, std::size_t max_bytes = SIZE_MAX,
                                 control_chars controls = control_chars::keep) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(s.size(), max_bytes) + 16);
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = utf8_sequence_length(s.substr(i));
    const std::size_t take = n == 0 ? 1 : n;
    if (i + take > max_bytes) break;
    const auto c0 = static_cast<std::uint8_t>(s[i]);
    const auto c1 = n == 2 ? static_cast<std::uint8_t>(s[i + 1]) : 0;
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
    } else if (controls == control_chars::escape && n == 1 && (c0 < 0x20 || c0 == 0x7F)) {
      out += {'\\', 'x', kHex[c0 >> 4], kHex[c0 & 0xF]};
    } else if (controls == control_chars::escape && c0 == 0xC2 && c1 < 0xA0) {  // U+0080-U+009F
      out += {'\\', 'u', '0', '0', kHex[c1 >> 4], kHex[c1 & 0xF]};
    } else {
      out.append(s.substr(i, n));
    }
    i += take;
  }
  if (i < s.size()) out += "...(+" + std::to_string(s.size() - i) + " bytes)";
  return out;
}

inline bool is_valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace cortexloop::io
