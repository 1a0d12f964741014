#pragma once
// A CLI11 check that an option's value is a number > 0, with a message that says so. CLI::PositiveNumber said
// "Value 0 not in range 0.000000 to 179769313486231570814527...": a range that seems to hold the value refused.
#include <cmath>
#include <string>

#include <CLI/CLI.hpp>

namespace cortexloop::tools {

inline const CLI::Validator positive_number(
    [](std::string& text) -> std::string {
      double v = 0;
      if (!CLI::detail::lexical_cast(text, v) || std::isnan(v)) return "'" + text + "' is not a number";
      if (!(v > 0)) return "must be > 0, got " + text;
      return {};
    },
    "> 0");

}  // namespace cortexloop::tools
