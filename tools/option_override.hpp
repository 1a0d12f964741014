#pragma once
// Options that set one config key (--threads sets simulation.threads): the option keeps the text the user typed,
// so that the loader's refusal names the option with that text ("--threads 3: must be in [1, 2]: ..."). Through
// a plain override it said "--set simulation.threads", an option the user had not typed, and CLI11 had turned
// --threads 99999999999999999999 into 9223372036854775807 before anyone looked.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/network/steps_network.hpp"
#include "io/config/config_loader.hpp"
#include "io/config/thread_limit.hpp"
#include "io/protocol/format_number.hpp"
#include "tools/command_line_error.hpp"

namespace cortexloop::tools {

namespace detail {
inline bool read_integer(const std::string& text, std::int64_t& value, std::errc& error) {
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, value);
  error = r.ec;
  return r.ptr == end;
}
}  // namespace detail

// A CLI11 check that the text is a whole number that fits 64 bits (the range of the key is the loader's to check).
// No description: add_integer_text_option names the type instead (a string option would show as "TEXT:INT").
inline const CLI::Validator integer_text(
    [](std::string& text) -> std::string {
      std::int64_t v = 0;
      std::errc error{};
      const bool whole = detail::read_integer(text, v, error);
      if (whole && error == std::errc::result_out_of_range) return io::integer_out_of_range(text);
      if (!whole || error != std::errc{}) return "'" + text + "' is not a whole number";
      return {};
    },
    "");

// A --threads option's count: a whole number in [1, io::max_threads()], refused with the words of the config's
// simulation.threads (io/config/thread_limit.hpp) by every command that takes one.
inline const CLI::Validator thread_count(
    [](std::string& text) -> std::string {
      std::int64_t v = 0;
      std::errc error{};
      // Beyond 64 bits too: its range is what limits it, not the integer's (an outside audit, 2026-12-06).
      if (detail::read_integer(text, v, error) && error == std::errc::result_out_of_range)
        return text + ": " + io::threads_refusal();
      if (std::string why = integer_text(text); !why.empty()) return why;
      if (v < 1 || v > io::max_threads()) return text + ": " + io::threads_refusal();
      return {};
    },
    "");

// A seed option's range, simulation.seed's [0, 2^63 - 1] (io::kMaxSeed): `stim reset --seed` (the server refuses a
// larger one, exit 3) and `fit-tf --seed` (which took 18446744073709551615). A negative or malformed value is
// refuse_bad_numbers' or the option's own conversion's to name.
inline const CLI::Validator seed_range(
    [](std::string& text) -> std::string {
      std::uint64_t v = 0;
      const char* end = text.data() + text.size();
      const auto r = std::from_chars(text.data(), end, v);
      if (r.ptr == end && (r.ec == std::errc::result_out_of_range ||
                           (r.ec == std::errc{} && v > static_cast<std::uint64_t>(io::kMaxSeed))))
        return "must be <= 9223372036854775807 (2^63 - 1, as simulation.seed), got " + text;
      return {};
    },
    "");

// An integer option kept as the text typed (option_override labels the override with it), shown in the help as INT.
inline CLI::Option* add_integer_text_option(CLI::App* app, const std::string& name, std::optional<std::string>& text,
                                            const std::string& help) {
  return app->add_option(name, text, help)->check(integer_text)->type_name("INT");
}

// The override of `key` by `option` typed as `typed` (already checked by integer_text or positive_number): the
// value in TOML's form (TOML refuses "03" or ".5"), the label as typed.
inline std::string option_override(std::string_view option, const std::string& typed, std::string_view key) {
  std::int64_t i = 0;
  std::errc error{};
  std::string value;
  if (detail::read_integer(typed, i, error) && error == std::errc{}) {
    value = std::to_string(i);
  } else {
    double d = 0;
    CLI::detail::lexical_cast(typed, d);
    value = io::format_number(d).str();
  }
  return io::labelled_override(std::string(option) + " " + typed, key, value);
}

// Refuses a key that two of a command line's overrides give (`--set K=1 --set K=2`, `--seed 7 --set
// simulation.seed=3`): the later one won without a word. `overrides`: the --set texts and the options' labelled
// overrides, as the command hands them to the config loader (before any it adds itself).
// The refusal of two options that give overlapping keys (io::override_keys_overlap): `first` gives `first_key`,
// `second` gives `second_key`. One wording for the overrides and a sweep's axes (tools/sweep_grid.hpp).
inline command_line_error keys_given_twice(const std::string& first, const std::string& first_key,
                                           const std::string& second, const std::string& second_key) {
  const std::string& a = first_key;
  const std::string& b = second_key;
  return command_line_error(first + " and " + second +
                            (a == b ? " give the same key " + b + ": give it once"
                                    : " both set " + (a.size() > b.size() ? a : b) + " (" +
                                          (a.size() > b.size() ? b : a) + " is its whole table): give it once"));
}

inline void check_keys_given_once(const std::vector<std::string>& overrides) {
  for (std::size_t i = 0; i < overrides.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (const std::string a = io::override_key(overrides[j]), b = io::override_key(overrides[i]);
          io::override_keys_overlap(a, b))
        throw keys_given_twice(io::override_shown(overrides[j]), a, io::override_shown(overrides[i]), b);
}

// How the run's duration was given, for a refusal that asks to change it: the option the user typed, the last of
// `overrides` that sets simulation.duration_s ("--duration 1e6", "--set simulation.duration_s=1e6", a sweep's
// "--sweep simulation.duration_s = 1e6"), else the config's key and value. simulate's traces refusal and sweep's
// named simulation.duration_s after a --duration, a key the user had not typed (a noticed wording bug).
inline std::string duration_given_as(const std::vector<std::string>& overrides, double duration_s) {
  constexpr std::string_view kKey = "simulation.duration_s";
  for (auto it = overrides.rbegin(); it != overrides.rend(); ++it)
    if (io::override_keys_overlap(io::override_key(*it), kKey)) return io::override_shown(*it);
  return std::string(kKey) + " = " + io::format_number(duration_s).str() + " s";
}

// simulate's and serve's --duration, as their help describes its range: simulation.duration_s's, which the loader
// checks (the option overrides that key).
inline std::string duration_range_help() {
  return "from half a tick (simulation.tick_ms) to " + io::format_number(io::kMaxDurationS).str() + " s";
}

// simulate's and serve's --threads, as their help describes it. Its default is the config's, so the help says where
// it comes from and the engine's own when the config has none (neither help stated it: an outside audit, 2026-12-07).
inline std::string network_threads_help() {
  return "Worker threads stepping the network, 1 to the usable CPUs (overrides simulation.threads; default: the "
         "config's simulation.threads, else " + std::to_string(engine::simulation_params{}.threads) +
         "); results are the same for any count; only 1 when no network is stepped (a [ring] with network = \"off\", "
         "the [aln] node alone)";
}

}  // namespace cortexloop::tools
