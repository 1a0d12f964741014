#pragma once
// The seeds' plasticity comparison (the seeds' Brian2 notebook comparing the rules, its i_poisson_rate_effect): at each (e_rate, i_rate)
// of a grid, `runs` independent LIF cells, each driven by its own n_inputs excitatory and n_inputs inhibitory
// Poisson sources, are observed by one plastic excitatory synapse (a regular presynaptic train at e_rate) and one
// plastic inhibitory synapse (at i_rate) of each rule (plasticity_rules.hpp); the result is each rule's final weight
// as % of its initial one against the cells' output rate. Offline (allocates; grid points on worker threads).
//
// The cell (the notebook's `lif`, dimensionless conductances in units of the leak):
//   tau_m dV = [(V_rest - V) - g_e (V - E_e) - g_i (V - E_i)] dt + sigma sqrt(tau_m) dW   (unless refractory)
//   tau_syn dg = -g dt;  each input spike adds g_per_spike;  V > V_thresh: spike, V = V_rest, held for t_ref.
// Euler-Maruyama at dt, in Brian2's order within a step: VDP's sigmoids from V at the step's start; the cells'
// update; CM's and MB's updates from the new V; threshold; the step's input spikes onto g and the presynaptic
// trains onto the rules' traces; reset.
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/plasticity/plasticity_rules.hpp"

namespace cortexloop::engine::plasticity {

struct lif_params {
  double v_rest_mV = -79, v_thresh_mV = -49, noise_sigma_mV = 16;
  double tau_syn_exc_ms = 10, tau_syn_inh_ms = 10, tau_m_ms = 10, t_ref_ms = 3;
  double e_exc_mV = 0, e_inh_mV = -80;
  double g_exc_per_spike = 0.01, g_inh_per_spike = 0.01;
};

struct rate_effect_params {
  double duration_ms = 10000, dt_ms = 0.1;
  std::uint32_t runs = 100, n_inputs = 100;
  double w_initial = 1;
  std::uint64_t seed = 42;
  std::vector<double> e_rates_Hz, i_rates_Hz;
  lif_params neuron;
  vdp_params vdp;
  lowpass_params clopath, meissner_bernard;
};

inline constexpr int kRules = 3;  // vdp, clopath, meissner_bernard
inline constexpr const char* kRuleNames[kRules] = {"vdp", "clopath", "meissner_bernard"};

// One grid point's outcome. Weights in % of w_initial (100: unchanged), per rule, [0] excitatory, [1] inhibitory.
struct rate_effect_point {
  double e_rate_Hz = 0, i_rate_Hz = 0;
  double rate_Hz = 0;     // spikes / (runs * duration)
  double rate_sd_Hz = 0;  // SD over the runs of each cell's rate
  // The runs' mean V, sampled every ms from 1 s on (or from the start of a shorter run): its time mean and SD (the
  // notebook's membrane_potential_statistics, which took them after a 1 s warm-up).
  double mean_v_mV = 0, sd_v_mV = 0;
  double weight_pct[kRules][2] = {};
  double weight_sd_pct[kRules][2] = {};  // SD over the runs
  bool ran = false;  // false: the grid was stopped before this point (run_rate_effect_grid's `stop`)
};

// P(count <= k) of Binomial(n, p) for k = 0, 1, ...: the number of a cell's n Poisson sources that spike in one
// step (p = rate dt), inverted with one uniform per cell and step. Cut where the rest is below 2^-40; the last entry
// is 1.
std::vector<double> binomial_cdf(std::uint32_t n, double p);

// One grid point. `cell_offset` numbers this point's cells in the random streams (the grid gives point k cells
// [k runs, (k + 1) runs)), so a point's result does not depend on which other points run, or on threads.
rate_effect_point run_rate_effect_point(const rate_effect_params& p, double e_rate_Hz, double i_rate_Hz,
                                        std::uint64_t cell_offset);

// Every point of the grid, i_rates outer, e_rates inner (the notebook's [i, e] order), on `threads` threads;
// `progress(done, total)` after each point (from the worker that finished it, serialised). Once `stop()` is true
// no point starts (the points running finish): the points not started keep ran = false (and their rates 0).
std::vector<rate_effect_point> run_rate_effect_grid(const rate_effect_params& p, unsigned threads,
                                                    const std::function<void(std::size_t, std::size_t)>& progress = {},
                                                    const std::function<bool()>& stop = {});

}  // namespace cortexloop::engine::plasticity
