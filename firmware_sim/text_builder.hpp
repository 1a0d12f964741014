#pragma once
// Internal to firmware_sim: builds a reason into a fixed buffer (reason_text) without allocating. Numbers are
// printed in their shortest round-trip form (std::to_chars), so a reason never hides the value that broke a
// limit behind rounding: 200.0001 prints as 200.0001, not 200; integers as integers (an int64 of 2^63 - 1 printed
// through a double read 9223372036854775808).
#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "firmware_sim/safety.hpp"

namespace cortexloop::firmware_sim::detail {

class text_builder {
 public:
  explicit text_builder(reason_text& buffer) noexcept : buf_(buffer) {}
  text_builder& operator<<(const char* s) noexcept {
    const std::size_t n = std::min(std::strlen(s), room());
    std::memcpy(buf_.data() + used_, s, n);
    used_ += n;
    return *this;
  }
  text_builder& operator<<(std::string_view s) noexcept {
    const std::size_t n = std::min(s.size(), room());
    std::memcpy(buf_.data() + used_, s.data(), n);
    used_ += n;
    return *this;
  }
  template <class T>
    requires std::is_arithmetic_v<T> && (!std::is_same_v<T, bool>)
  text_builder& operator<<(T v) noexcept {
    const auto r = std::to_chars(buf_.data() + used_, buf_.data() + used_ + room(), v);
    if (r.ec == std::errc{}) used_ = static_cast<std::size_t>(r.ptr - buf_.data());
    return *this;
  }
  std::string_view view() const noexcept { return {buf_.data(), used_}; }

 private:
  std::size_t room() const noexcept { return buf_.size() - used_; }
  reason_text& buf_;
  std::size_t used_ = 0;
};

// "field = value: allowed", the form of every range refusal.
template <class T>
std::string_view field_reason(reason_text& reason, const char* field, T value, const char* allowed) noexcept {
  text_builder t(reason);
  t << field << " = " << value << ": " << allowed;
  return t.view();
}

}  // namespace cortexloop::firmware_sim::detail
