#pragma once
// CLI11 checks of numeric options, with messages that say what is wrong.
#include <cmath>
#include <string>

#include <CLI/CLI.hpp>

namespace cortexloop::tools {

// A number > 0. CLI::PositiveNumber said "Value 0 not in range 0.000000 to 179769313486231570814527...": a range
// that seems to hold the value refused.
inline const CLI::Validator positive_number(
    [](std::string& text) -> std::string {
      double v = 0;
      if (!CLI::detail::lexical_cast(text, v) || std::isnan(v)) return "'" + text + "' is not a number";
      if (!(v > 0)) return "must be > 0, got " + text;
      return {};
    },
    "> 0");

// A number >= 0 (as positive_number: CLI::NonNegativeNumber names DBL_MAX in its refusal).
inline const CLI::Validator non_negative_number(
    [](std::string& text) -> std::string {
      double v = 0;
      if (!CLI::detail::lexical_cast(text, v) || std::isnan(v)) return "'" + text + "' is not a number";
      if (!(v >= 0)) return "must be >= 0, got " + text;
      return {};
    },
    ">= 0");

// Every floating-point option of `app` and of its subcommands refuses nan and inf. CLI11 reads them as numbers, and
// its Range check lets NaN through (every comparison with NaN is false): `serve --spin-us nan` ran at 4.9x real
// time, `tf --w-pA nan` printed the W = 0 result. No option of the CLI means anything by a non-finite value.
// Called once, after every subcommand has added its options (tools/main.cpp).
inline void refuse_non_finite(CLI::App& app) {
  static const CLI::Validator finite(
      [](std::string& text) -> std::string {
        double v = 0;
        if (CLI::detail::lexical_cast(text, v) && !std::isfinite(v)) return "must be a finite number, got " + text;
        return {};  // not a number at all: the option's own conversion names that
      },
      "");  // no text in --help: "FLOAT" says it already
  for (CLI::Option* opt : app.get_options())
    if (opt->get_type_name().rfind("FLOAT", 0) == 0) opt->check(finite);
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) refuse_non_finite(*sub);
}

}  // namespace cortexloop::tools
