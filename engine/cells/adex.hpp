#pragma once
// The AdEx neuron (Brette & Gerstner 2005) with conductance synapses, as in Zerlaut et al. 2018 (Sec. 2.1):
//   C dV/dt   = g_L (E_L - V) + g_L D_T exp((V - V_T)/D_T) + G_e (E_e - V) + G_i (E_i - V) - w + I_stim
//   tau_w dw/dt = a (V - E_L) - w
//   dG_e/dt = -G_e / tau_e,   dG_i/dt = -G_i / tau_i
//   V > v_spike:  V = V_reset, w += b, V held at V_reset for t_ref.
// Forward Euler for V and w (all right-hand sides use the values at the start of the step), exact
// exponential decay for G. The state is structure-of-arrays over a population's index range.
// The update itself is engine/cells/adex_lanes.hpp (16 cells per vector), which adex_step and the network both call.
#include <cstddef>
#include <cstdint>

#include "engine/inputs/drive.hpp"
#include "engine/params.hpp"

namespace cortexloop::engine {

// Constants of one cell type derived once from its parameters and dt, in float for the vector unit.
struct adex_derived {
  float dt_over_c;      // ms / pF
  float g_l, e_l, v_t, g_l_delta_t;
  float log2e_over_delta_t;  // (V - V_T) / D_T in base 2: e^x = 2^(x log2 e), so the update needs no log2 e
  float v_spike, v_reset, b;
  // w after one Euler step = w w_keep + V a_dt_over_tau_w + w_rest_pA: w_keep = 1 - dt/tau_w,
  // a_dt_over_tau_w = a dt/tau_w (nS), w_rest_pA = -a E_L dt/tau_w (two multiply-adds per step instead of three)
  float w_keep, a_dt_over_tau_w, w_rest_pA;
  std::int32_t ref_steps;  // number of updates V is frozen for after a spike (see adex.cpp)
  static adex_derived from(const adex_params& p, double dt_ms);
};

struct synapse_derived {
  float decay_exc, decay_inh;  // exp(-dt / tau)
  float e_exc, e_inh;
  static synapse_derived from(const network_params& p, double dt_ms);
};

// Views on one population's state arrays (all of length n).
struct adex_state_view {
  float* v_mV;
  float* w_pA;
  float* g_exc_nS;
  float* g_inh_nS;
  std::int32_t* ref_left;   // remaining refractory updates
  std::uint8_t* spiked;     // set to 1 in the step the neuron spikes
  std::size_t n;
};

// What adex_step writes to `spiked` per cell.
inline constexpr std::uint8_t kNoEvent = 0, kSpiked = 1, kDiverged = 2;

// Advances every cell of the view by one step: integrate, threshold, reset. spiked[i] tells what happened:
// kSpiked, or kDiverged for a non-finite V or w (the cell is reset to V_reset, w = 0, and must be counted
// by the caller). Allocation-free.
// `drive` (may be null) are this step's external events for these cells: an event adds its q to G_e before
// the update, as if it had arrived just before the step.
void adex_step(const adex_derived& cell, const synapse_derived& syn, float i_stim_pA, const adex_state_view& s,
               const drive_draws* drive = nullptr) noexcept;

// Sums over a population's current state, for the readouts.
struct adex_state_sums {
  double v_mV = 0;        // sum of V
  double w_pA = 0;        // sum of w
  double abs_syn_pA = 0;  // sum of |G_e (E_e - V)| + |G_i (E_i - V)|
};
adex_state_sums adex_sum(const synapse_derived& syn, const adex_state_view& s) noexcept;

}  // namespace cortexloop::engine
