#pragma once
// The least memory a spiking network's run holds, as the config loader counts it against the machine's: its synapse
// rows (at least a byte a synapse, engine/synapses/gap_rows.hpp) and its per-tick spike log (room for every cell
// spiking on every step of a tick, engine::engine). The device's checks add their own to these.
#include <cmath>
#include <cstdint>

#include "engine/params.hpp"

namespace cortexloop::io {

inline double synapse_rows_bytes(const engine::network_params& p) { return p.expected_synapses(); }

inline constexpr double kSpikeLogBytesPerEntry = sizeof(std::int64_t) + sizeof(std::uint32_t);  // 12

inline double spike_log_bytes(const engine::network_params& p, const engine::simulation_params& s) {
  return static_cast<double>(p.n_neurons) * std::round(s.tick_ms / s.dt_ms) * kSpikeLogBytesPerEntry;
}

}  // namespace cortexloop::io
