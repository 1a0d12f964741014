#pragma once
// Small helpers shared by the tests: paths into the source tree and running an engine for a while.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.hpp"
#include "io/config/config_loader.hpp"

namespace cortexloop::testing {

// How much slower than Release this build runs (tests/CMakeLists.txt: 4 under sanitizers, else 1): wall-clock
// deadlines of realtime tests are multiplied by it, never their assertions on the simulated system.
#ifndef CORTEXLOOP_TEST_TIME_SCALE
#define CORTEXLOOP_TEST_TIME_SCALE 1
#endif
inline constexpr int kWallTimeScale = CORTEXLOOP_TEST_TIME_SCALE;

inline std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path(CORTEXLOOP_SOURCE_DIR) / relative;
}

inline nlohmann::json load_json(const std::string& relative) {
  std::ifstream in(source_path(relative));
  return nlohmann::json::parse(in);
}

inline engine::engine_params load_params(const std::string& relative_config, std::vector<std::string> overrides = {}) {
  return io::load_config(source_path(relative_config), overrides);
}

// Mean population rates over [from_s, to_s) of a run of the engine.
struct mean_rates {
  double exc_Hz = 0, inh_Hz = 0;
};
inline mean_rates run_and_average(engine::engine& eng, double from_s, double to_s) {
  engine::tick_readout r;
  mean_rates m;
  int n = 0;
  while (true) {
    eng.tick(r);
    if (r.t_ms > to_s * 1000.0 + 1e-9) break;
    if (r.t_ms > from_s * 1000.0 + 1e-9) {
      m.exc_Hz += r.exc.rate_Hz;
      m.inh_Hz += r.inh.rate_Hz;
      ++n;
    }
  }
  m.exc_Hz /= n;
  m.inh_Hz /= n;
  return m;
}

// Sample standard deviation (n - 1 in the denominator) of per-seed results, for tolerances set in seed SDs.
inline double sample_sd(const std::vector<double>& x) {
  double m = 0, s = 0;
  for (const double v : x) m += v / static_cast<double>(x.size());
  for (const double v : x) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(x.size() - 1));
}

}  // namespace cortexloop::testing
