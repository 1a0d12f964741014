#include "tools/sweep_point.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "io/config/config_loader.hpp"
#include "io/config/config_reader.hpp"
#include "io/config/machine_memory.hpp"
#include "tools/option_override.hpp"

namespace cortexloop::tools {

std::vector<double> probe_per_step_pA(const engine::simulation_params& s, double probe_pA) {
  const double duration_ms = s.duration_s * 1000.0;
  std::vector<double> probe(static_cast<std::size_t>(std::llround(duration_ms / s.dt_ms)));
  for (std::size_t k = 0; k < probe.size(); ++k)
    probe[k] = engine::aln::bistability_probe_pA(static_cast<double>(k) * s.dt_ms, duration_ms, probe_pA);
  return probe;
}

void check_sweep_run(const engine::simulation_params& s, const sweep_probe_options& probe,
                     const std::vector<std::string>& overrides) {
  const std::string given = duration_given_as(overrides, s.duration_s);
  if (s.duration_s * 1000.0 < 3000.0)
    throw io::config_error(given + ": the state probe needs at least 3 s (the paper's runs are 6 s)");
  const double steps = s.duration_s * 1000.0 / s.dt_ms, bins = s.duration_s * 1000.0 / std::min(1.0, s.tick_ms);
  const double need = steps * sizeof(double) + probe.threads * bins * sizeof(float);
  if (const std::string beyond = io::beyond_usable_memory(need); !beyond.empty()) {
    char text[400];
    std::snprintf(text, sizeof text, ": a sweep keeps the probe's current per step and each running point's rate per "
                  "ms, %.3g GB for %d thread%s, %s; the paper's points run 6 s", need / 1e9, probe.threads,
                  probe.threads == 1 ? "" : "s", beyond.c_str());
    throw io::config_error(given + text);
  }
}

std::string point_name(const std::vector<std::string>& overrides) {
  const std::size_t n = overrides.size();
  return n >= 2 ? io::override_shown(overrides[n - 2]) + ", " + io::override_shown(overrides[n - 1]) : "a point";
}

void check_same_run_before(const std::vector<std::string>& overrides, const engine::simulation_params& point,
                           const engine::simulation_params& first) {
  try {
    check_same_run(point, first);
  } catch (const io::config_error& e) {
    throw io::config_error("sweep: point " + point_name(overrides) + ": " + e.what());
  }
}

void check_same_run(const engine::simulation_params& point, const engine::simulation_params& first) {
  if (point.duration_s != first.duration_s || point.dt_ms != first.dt_ms || point.tick_ms != first.tick_ms)
    throw io::config_error("the swept keys change [simulation]; every point must run the same time");
}

}  // namespace cortexloop::tools
