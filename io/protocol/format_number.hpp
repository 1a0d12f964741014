#pragma once
// Numbers in human-readable reasons, printed exactly: the shortest text that reads back as the same value
// (std::to_chars without a precision), so a refusal never says "200" for 200.0001 and a client can paste
// the printed value back. A float is printed as a float (5000.001f reads "5000.001", not its double
// expansion). No allocation, noexcept: usable on any thread, including by firmware_sim's validation.
#include <array>
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

namespace cortexloop::io {

struct number_text {
  std::array<char, 32> chars{};  // the longest shortest-round-trip double is 24 characters
  std::size_t size = 0;
  std::string_view view() const noexcept { return {chars.data(), size}; }
  operator std::string_view() const noexcept { return view(); }
  // As a string, for the refusals built by concatenation (allocates: not on the real-time thread).
  std::string str() const { return std::string(view()); }
};

template <class T>
number_text format_number(T value) noexcept {
  number_text t;
  const auto r = std::to_chars(t.chars.data(), t.chars.data() + t.chars.size(), value);
  t.size = r.ec == std::errc{} ? static_cast<std::size_t>(r.ptr - t.chars.data()) : 0;
  return t;
}

// "field = value: allowed", the form of every OutOfRange reason.
template <class T>
std::string field_reason(std::string_view field, T value, std::string_view allowed) {
  std::string s(field);
  s += " = ";
  s += format_number(value).view();
  s += ": ";
  s += allowed;
  return s;
}

}  // namespace cortexloop::io
