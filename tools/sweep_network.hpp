#pragma once
// The spiking network as a `cortexloop sweep` model: each point one run of an engine config (e.g. the Cakan &
// Obermayer 2020 network, configs/cakan2020/authors_wiring*.toml) with the same bistability probe onto E as the ALN
// sweep, its E population rate per tick classified by engine/aln/aln_states.hpp, as the authors classify both
// models for their Fig 2. Each point's network is stepped by one thread (simulation.threads = 1): the sweep's
// parallelism is over points.
//
// Initial conditions: the network starts from V uniform or at rest (network.v_init_mode), both low-activity
// starts; it has no "up" initial condition. Bistability is found as the paper finds it, from one run: the probe
// pushes the network down (first half) and then up (second half), and a point is bistable when the two windows
// after the pushes differ by more than 10 Hz.
#include <memory>
#include <string>
#include <vector>

#include "tools/sweep_point.hpp"

namespace cortexloop::tools {

// edge: the overrides of the points on the grid's edge, loaded first so that a bad key or value, a config with a
// [ring] (the sweep classifies the network's rate; a ring would be stepped for nothing) or a run too short for
// the probe fails before any run.
std::unique_ptr<sweep_point_runner> make_network_sweep_runner(const std::string& config,
                                                              const std::vector<std::vector<std::string>>& edge,
                                                              const sweep_probe_options& probe);

}  // namespace cortexloop::tools
