#include "io/config/config_checks.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "io/protocol/format_number.hpp"

namespace cortexloop::io {

void check_jump_fraction(table_reader& t, const std::string& c_key, double c, const std::string& j_key, double j) {
  if (c > std::fabs(j))
    t.fail(c_key, "must be at most |" + j_key + "| = " + format_number(std::fabs(j)).str() +
                      ": the jump c / |J| is a fraction of the free synapses, at most 1");
}

void check_whole_steps(table_reader& t, const std::string& key, double value_ms, double dt_ms,
                       std::string_view dt_name) {
  const double steps = value_ms / dt_ms;
  if (std::fabs(steps - std::round(steps)) > 1e-9 * std::max(1.0, steps))
    t.fail(key, "must be a whole number of " + std::string(dt_name) + " = " + format_number(dt_ms).str() + " steps");
}

void check_euler_decay(table_reader& t, const std::string& key, double tau_ms, double dt_ms, std::string_view dt_name,
                       std::string_view why) {
  if (tau_ms <= dt_ms)
    t.fail(key, "must exceed " + std::string(dt_name) + " = " + format_number(dt_ms).str() + " " + std::string(why) +
                    " (decay factor 1 - dt/tau)");
}

}  // namespace cortexloop::io
