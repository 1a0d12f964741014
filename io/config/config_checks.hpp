#pragma once
// Checks that several sections share (the conductance and fraction networks, the ALN node): each refuses through
// the table_reader, so the message names the key's file and line or the --set that gave it.
#include <string>
#include <string_view>

#include "io/config/config_reader.hpp"

namespace cortexloop::io {

// A synapse's jump per spike c / |J| is a fraction of its free synapses: c at most |J|.
void check_jump_fraction(table_reader& t, const std::string& c_key, double c, const std::string& j_key, double j);
// A duration the engine counts in whole steps of dt (delays, refractory periods).
void check_whole_steps(table_reader& t, const std::string& key, double value_ms, double dt_ms,
                       std::string_view dt_name);
// A decay stepped by forward Euler keeps its sign only for tau > dt.
void check_euler_decay(table_reader& t, const std::string& key, double tau_ms, double dt_ms, std::string_view dt_name,
                       std::string_view why);

}  // namespace cortexloop::io
