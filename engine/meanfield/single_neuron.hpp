#pragma once
// Direct simulation of the transfer function: independent AdEx cells (engine::adex_step, the network's own
// integrator), each driven by private Poisson excitatory and inhibitory input trains with conductance jumps
// Q_e, Q_i, as in the Zerlaut 2018 fitting procedure. Adaptation is switched off (a = b = 0): the mean field
// carries W itself and shifts mu_V by -W/mu_G.
#include <cstdint>

#include "engine/params.hpp"

namespace cortexloop::engine::meanfield {

struct single_neuron_options {
  std::int64_t n_cells = 400;      // independent cells simulated side by side (vectorised)
  double duration_ms = 5000.0;     // measured time per cell
  double warmup_ms = 300.0;        // discarded: the initial V distribution relaxes
  std::uint64_t seed = 1;
  bool adaptation = false;         // keep the cell's a and b (to check the mean field's W against)
  // Part of the excitatory input delivered as the network's drive is: at most one event per step, with
  // probability dt * drive_Hz (a Bernoulli train, less variable than a Poisson one at the same rate).
  double bernoulli_drive_Hz = 0.0;
};

struct single_neuron_result {
  double rate_Hz = 0;
  std::int64_t spikes = 0;
  std::int64_t diverged = 0;
  double mean_w_pA = 0;            // time and population average of w over the measured time
};

// fe_Hz, fi_Hz: total input events per second per cell; i_pA: a constant injected current. Initial V
// uniform in [E_L, V_T].
single_neuron_result simulate_single_neurons(const adex_params& cell, const network_params& net, double dt_ms,
                                             double fe_Hz, double fi_Hz, const single_neuron_options& o,
                                             double i_pA = 0.0);

}  // namespace cortexloop::engine::meanfield
