#pragma once
// The grid of a parameter sweep: `--sweep KEY=v1,v2,...` (repeatable) gives the Cartesian product of the listed
// values, each point a list of `--set` overrides; the last key varies fastest. Under `mpirun -n K` rank r runs
// points r, r + K, r + 2K, ... (tools/simulate_command.cpp). Values are checked by the config loader, point by
// point, before any run starts.
#include <cstddef>
#include <string>
#include <vector>

#include "io/config/config_loader.hpp"
#include "tools/command_line_error.hpp"
#include "tools/option_override.hpp"

namespace cortexloop::tools {

struct sweep_axis {
  std::string key;
  std::vector<std::string> values;
};

inline sweep_axis parse_sweep_axis(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw command_line_error("--sweep '" + text + "': expected section.key=v1,v2,...");
  sweep_axis axis{text.substr(0, eq), {}};
  std::string rest = text.substr(eq + 1);
  for (std::size_t start = 0;;) {
    const auto comma = rest.find(',', start);
    const std::string value = rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (value.empty()) throw command_line_error("--sweep '" + text + "': empty value in the list");
    axis.values.push_back(value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return axis;
}

// A command-line option that sets one config key: a sweep's axis ("--sweep simulation.seed", "--x aln.b_pA") or
// an option such as `simulate --seed 7` (simulation.seed), named in messages as `option`.
struct keyed_option {
  std::string key;     // simulation.seed
  std::string option;  // "--seed 7"
};

// Refuses axes that name one key twice, or a key a --set or an option (--seed, --duration, --threads) also gives:
// one of the two would be dropped silently (the later override wins), so the grid would repeat points or not
// sweep what it says (`simulate --sweep simulation.seed=1,2 --seed 7` ran seed 7 twice, and sweep.json listed 1
// and 2; `sweep --x K=... --set K=...` ran the --x values without a word). `overrides`: the --set texts.
inline void check_sweep_keys(const std::vector<keyed_option>& axes, const std::vector<std::string>& overrides,
                             const std::vector<keyed_option>& options = {}) {
  for (std::size_t i = 0; i < axes.size(); ++i) {
    // A whole table overlaps the keys in it (io::override_keys_overlap).
    for (std::size_t j = 0; j < i; ++j)
      if (io::override_keys_overlap(axes[j].key, axes[i].key))
        throw keys_given_twice(axes[j].option, axes[j].key, axes[i].option, axes[i].key);
    for (const std::string& o : overrides)
      if (io::override_keys_overlap(io::override_key(o), axes[i].key))
        throw keys_given_twice(axes[i].option, axes[i].key, "--set " + o, io::override_key(o));
    for (const keyed_option& o : options)
      if (io::override_keys_overlap(o.key, axes[i].key))
        throw keys_given_twice(axes[i].option, axes[i].key, o.option, o.key);
  }
}

// Every point of the grid, in order, as "key=value" overrides.
inline std::vector<std::vector<std::string>> sweep_points(const std::vector<sweep_axis>& axes) {
  std::vector<std::vector<std::string>> points{{}};
  for (const sweep_axis& axis : axes) {
    std::vector<std::vector<std::string>> next;
    for (const auto& point : points)
      for (const std::string& value : axis.values) {
        next.push_back(point);
        next.back().push_back(axis.key + "=" + value);
      }
    points = std::move(next);
  }
  return points;
}

}  // namespace cortexloop::tools
