#pragma once
// What the engine reports once per tick. Plain data: io/ encodes it, tests read it.
#include <cstdint>
#include <span>

namespace cortexloop::engine {

struct population_readout {
  double rate_Hz = 0;      // spikes in the tick / (cells * tick duration)
  double mean_v_mV = 0;    // over cells, at the end of the tick
  double mean_w_pA = 0;    // adaptation current, same sample
  double i_stim_pA = 0;    // injected current per cell, averaged over the tick's steps
  std::int64_t spikes = 0;
};

// The ALN node (engine_params::aln), when the config has one: its population rates, as the network's, per tick.
struct aln_readout {
  bool present = false;
  double rate_e_Hz = 0, rate_i_Hz = 0;  // the table's steady-state rates, mean over the tick's steps
  double v_mean_e_mV = 0;               // V_mean of E from the table, mean over the tick's steps
  double i_a_pA = 0;                    // mean adaptation current of E, mean over the tick's steps
  std::int64_t diverged = 0;            // steps of the tick whose state became non-finite (reset and counted)
  std::int64_t out_of_table = 0;        // steps of the tick that read outside the cascade table's grid (clamped)
};

struct tick_readout {
  std::int64_t tick = 0;        // index of the tick just completed
  double t_ms = 0;              // simulated time at its end
  population_readout exc, inh;
  // LFP proxy (Mazzoni et al. 2008): sum over excitatory cells of |I_AMPA| + |I_GABA|, in nA, at the end
  // of the tick.
  double lfp_proxy_nA = 0;
  std::int64_t diverged = 0;    // cells whose state became non-finite during the tick (reset and counted)
  // Spikes of the tick as (step, neuron) pairs, valid until the next tick.
  std::span<const std::int64_t> spike_steps;
  std::span<const std::uint32_t> spike_neurons;
  // The ring of mean-field units (empty without a [ring]): per unit, averaged over the tick's ring steps;
  // valid until the next tick.
  std::span<const float> ring_rates_exc_Hz;
  std::span<const float> ring_rates_inh_Hz;
  std::span<const float> vsdi_percent;  // relative depolarisation from rest, 0.8 exc + 0.2 inh, percent
  // Unit steps of the tick in which a ring unit's model was read past one edge: for ALN units, outside the cascade
  // table's grid (clamped); for Zerlaut units, with mu_V outside the transfer function's fitted domain, below E_inh
  // or above max_mu_v_mV (-33 mV; read at the edge; engine/meanfield/transfer_function.hpp); mu_V between v_t and it is not
  // counted here (device.ring_units_out_of_domain). 0 without a ring.
  std::int64_t ring_out_of_table = 0;
  aln_readout aln;
};

}  // namespace cortexloop::engine
