#pragma once
// The RS-FS AdEx network of Zerlaut et al. 2018: neurons [0, n_exc) are RS (excitatory), [n_exc, N) FS
// (inhibitory). All memory is allocated by the constructor; step() neither allocates nor locks.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/adex.hpp"
#include "engine/connectivity.hpp"
#include "engine/drive.hpp"
#include "engine/params.hpp"

namespace cortexloop::engine {

// Events of the steps since the counts were zeroed.
struct network_counts {
  std::int64_t spikes_exc = 0, spikes_inh = 0, diverged = 0;
};

class network {
 public:
  network(const network_params& p, double dt_ms, std::uint64_t seed);

  // One step of dt starting at step_index * dt, in Brian2's schedule order so that the two agree:
  //   1 drive events land on G_e (applied inside the cell update);  2 integrate, threshold and reset every cell;
  //   3 spikes of this step are added to their targets' conductances, which the cells first feel in
  //     the integration of the next step (no delay: a spike at step k acts on V from step k+1).
  void step(std::int64_t step_index, float i_stim_exc_pA, float i_stim_inh_pA, network_counts& counts) noexcept;

  // Sums over the current state of each population (for readouts; O(N), call once per tick).
  adex_state_sums sum_exc() const noexcept;
  adex_state_sums sum_inh() const noexcept;

  // Indices of the neurons that spiked in the last step (valid until the next step).
  std::span<const std::uint32_t> last_spikes() const noexcept { return {spikes_.data(), n_last_spikes_}; }

  void set_drive_rate_Hz(double rate_Hz) noexcept { drive_.set_rate_Hz(rate_Hz); }
  // Afferent (sensory-like) input onto the excitatory cells only: a second private Bernoulli source per RS
  // cell with the drive's k_exc synapses and no ramp, independent of the drive (Zerlaut 2018, Sec. 2.4:
  // the time-varying stimulus reaches the excitatory population). 0 Hz by default, when it costs nothing.
  void set_afferent_rate_Hz(double rate_Hz) noexcept { afferent_.set_rate_Hz(rate_Hz); }
  const poisson_drive& drive() const noexcept { return drive_; }
  std::uint32_t n_neurons() const noexcept { return n_; }
  std::uint32_t n_exc() const noexcept { return n_exc_; }
  std::uint32_t n_inh() const noexcept { return n_ - n_exc_; }
  const connectivity& synapses() const noexcept { return conn_; }
  std::span<const float> v_mV() const noexcept { return v_; }
  std::span<const float> w_pA() const noexcept { return w_; }

 private:
  adex_state_view view(std::uint32_t begin, std::uint32_t end) noexcept;
  adex_state_view view(std::uint32_t begin, std::uint32_t end) const noexcept {
    return const_cast<network*>(this)->view(begin, end);
  }
  void collect_spikes(network_counts& counts) noexcept;
  void propagate_spikes() noexcept;

  std::uint32_t n_, n_exc_;
  double dt_ms_;
  adex_derived exc_, inh_;
  synapse_derived syn_;
  float q_exc_nS_, q_inh_nS_;
  connectivity conn_;
  poisson_drive drive_, afferent_;
  std::vector<float> v_, w_, g_exc_, g_inh_;
  std::vector<std::int32_t> ref_left_;
  std::vector<std::uint8_t> spiked_;
  std::vector<std::uint32_t> spikes_;  // capacity N: every neuron may spike in one step
  std::size_t n_last_spikes_ = 0;
};

}  // namespace cortexloop::engine
