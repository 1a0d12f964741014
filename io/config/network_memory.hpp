#pragma once
// The least memory a spiking network's run holds, as the config loader counts it against the machine's: its synapse
// rows (at least a byte a synapse, engine/synapses/gap_rows.hpp) and its per-tick spike log (room for every cell
// spiking on every step of a tick, engine::engine). The device's checks add their own to these.
#include <cmath>
#include <atomic>
#include <cstdint>

#include "engine/params.hpp"
#include "io/config/launch_env.hpp"

namespace cortexloop::io {

inline double synapse_rows_bytes(const engine::network_params& p) { return p.expected_synapses(); }

inline constexpr double kSpikeLogBytesPerEntry = sizeof(std::int64_t) + sizeof(std::uint32_t);  // 12

inline double spike_log_bytes(const engine::network_params& p, const engine::simulation_params& s) {
  return static_cast<double>(p.n_neurons) * std::round(s.tick_ms / s.dt_ms) * kSpikeLogBytesPerEntry;
}

// What this process and this machine hold of the rows and log: under mpirun each of K ranks builds the rows of its own
// cells (~1/K: engine/network/network.cpp's rank_bounds), the L ranks on this machine ~L/K, and each keeps a tick's
// spike log. Counted whole in each rank, a network split over machines for their memory was refused on each of them
// (an outside audit, 2026-12-07).
struct network_memory_share {
  double ranks = 1, local_ranks = 1;
  double process(double rows, double log) const { return rows / ranks + log; }
  double machine(double rows, double log) const { return rows * local_ranks / ranks + log * local_ranks; }
};
// Whether the processes the launcher started split one network (simulate under mpirun: the default) or each runs
// whole networks of its own (a sweep's ranks, each stepping its points alone: run_sweep says so before any point).
inline std::atomic<bool>& ranks_split_one_network() {
  static std::atomic<bool> split{true};
  return split;
}
inline network_memory_share network_memory_share_now() {
  const auto local = static_cast<double>(launched_local_ranks());
  if (!ranks_split_one_network().load()) return {1, local};  // a whole network in each, L of them here
  return {static_cast<double>(launched_ranks()), local};
}

}  // namespace cortexloop::io
