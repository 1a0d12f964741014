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
};

}  // namespace cortexloop::engine
