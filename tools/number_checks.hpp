#pragma once
// CLI11 checks of numeric options, with messages that say what is wrong.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

namespace cortexloop::tools {

// A number > bound (or >= bound), with a message that says so: CLI::PositiveNumber said "Value 0 not in range
// 0.000000 to 179769313486231570814527...", a range that seems to hold the value it refuses.
inline CLI::Validator number_above(double bound, bool or_equal) {
  char number[32];
  std::snprintf(number, sizeof number, "%g", bound);
  const std::string text = std::string(or_equal ? ">= " : "> ") + number;
  return CLI::Validator(
      [bound, or_equal, text](std::string& typed) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(typed, v) || std::isnan(v)) return "'" + typed + "' is not a number";
        if (!(or_equal ? v >= bound : v > bound)) return "must be " + text + ", got " + typed;
        return {};
      },
      text);
}
inline const CLI::Validator positive_number = number_above(0.0, false);
inline const CLI::Validator non_negative_number = number_above(0.0, true);

// A number in [lo, hi] ((lo, ... with lo_open, ..., hi) with hi_open), checked as typed ("must be in (0, 1e+09],
// got 1e20"), `why` (where the range comes from) after the range when given. CLI::Range said "Value 2000 not in
// range 0.000000 to 1000.000000".
inline CLI::Validator number_in(double lo, double hi, bool lo_open = false, bool hi_open = false,
                                const std::string& why = "") {
  char low[32], high[32];
  std::snprintf(low, sizeof low, "%g", lo);
  std::snprintf(high, sizeof high, "%g", hi);
  std::string text = lo_open ? "in (" : "in [";
  text += low;
  text += ", ";
  text += high;
  text += hi_open ? ")" : "]";
  return CLI::Validator(
      [lo, hi, lo_open, hi_open, text, why](std::string& typed) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(typed, v) || std::isnan(v)) return "'" + typed + "' is not a number";
        if ((lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi)) return {};
        std::string message = "must be " + text;
        if (!why.empty()) message += " " + why;
        return message + ", got " + typed;
      },
      text);
}

// A whole number of type Int in [lo, hi], checked as typed, before the option converts it: beyond its type CLI11
// said only "Could not convert: --pulses-per-burst = 18446744073709551615" for an unsigned option, and saturated a
// signed one to its limit (`stim --start-tick 99999999999999999999` became 9223372036854775807, which the server
// then refused quoting a number nobody typed: an outside audit, 2026-12-07). Text that is no whole number (a
// negative value for an unsigned option) is refuse_bad_numbers' or the conversion's to name.
template <class Int>
CLI::Validator whole_in(Int lo, Int hi, const std::string& why) {
  const std::string text = "in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, text, why](std::string& typed) -> std::string {
        Int v = 0;
        const char* first = typed.data() + (typed.starts_with('+') ? 1 : 0);
        const char* end = typed.data() + typed.size();
        const auto r = std::from_chars(first, end, v);
        if (r.ptr != end || (r.ec == std::errc{} && v >= lo && v <= hi)) return {};
        if (r.ec != std::errc{} && r.ec != std::errc::result_out_of_range) return {};
        std::string message = "must be " + text;
        if (!why.empty()) message += " " + why;
        return message + ", got " + typed;
      },
      text);
}
inline CLI::Validator whole_number_in(std::uint64_t lo, std::uint64_t hi, const std::string& why = "") {
  return whole_in<std::uint64_t>(lo, hi, why);
}
inline CLI::Validator integer_in(std::int64_t lo, std::int64_t hi, const std::string& why = "") {
  return whole_in<std::int64_t>(lo, hi, why);
}

// Every floating-point option of `app` and of its subcommands refuses nan and inf. CLI11 reads them as numbers, and
// its Range check lets NaN through (every comparison with NaN is false): `serve --spin-us nan` ran at 4.9x real
// time, `tf --w-pA nan` printed the W = 0 result. No option of the CLI means anything by a non-finite value.
// Every unsigned option refuses a negative number: CLI11 wrapped it (`stim reset --seed -1` sent seed
// 18446744073709551615, and the server's refusal named that number: an outside check, 2026-12-04).
// Called once, after every subcommand has added its options (tools/main.cpp).
inline void refuse_bad_numbers(CLI::App& app) {
  static const CLI::Validator not_negative(
      [](std::string& text) -> std::string {
        const std::size_t first = text.find_first_not_of(" \t");
        if (first != std::string::npos && text[first] == '-') return "must be >= 0, got " + text;
        return {};
      },
      "");  // "UINT" says it already
  static const CLI::Validator finite(
      [](std::string& text) -> std::string {
        double v = 0;
        if (CLI::detail::lexical_cast(text, v) && !std::isfinite(v)) return "must be a finite number, got " + text;
        return {};  // not a number at all: the option's own conversion names that
      },
      "");  // no text in --help: "FLOAT" says it already
  for (CLI::Option* opt : app.get_options()) {
    if (opt->get_type_name().rfind("FLOAT", 0) == 0) opt->check(finite);
    if (opt->get_type_name().rfind("UINT", 0) == 0) opt->check(not_negative);
  }
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) refuse_bad_numbers(*sub);
}

}  // namespace cortexloop::tools
