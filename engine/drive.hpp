#pragma once
// External Poisson-like drive of Zerlaut et al. 2018 (their code): every neuron has a private source that,
// in each step, fires with probability dt * k_exc * rate(t) and adds q_exc to the neuron's excitatory
// conductance. rate(t) = rate_Hz * min(1, t / ramp_ms). The rate can be changed while running.
#include <cstdint>
#include <vector>

#include "engine/params.hpp"
#include "engine/rng.hpp"

namespace cortexloop::engine {

class poisson_drive {
 public:
  // n_neurons sizes the scratch buffer of random draws (allocated here, once).
  poisson_drive(const drive_params& p, double q_exc_nS, double dt_ms, std::size_t n_neurons, std::uint64_t seed);
  void set_rate_Hz(double rate_Hz) noexcept { rate_Hz_ = rate_Hz; }
  double rate_Hz() const noexcept { return rate_Hz_; }
  // Effective rate at time t, ramp included.
  double rate_at_Hz(double t_ms) const noexcept;
  // Adds the events of the step starting at t_ms to g_exc[0..n). Allocation-free.
  void apply(double t_ms, float* g_exc_nS, std::size_t n) noexcept;
  std::uint64_t events() const noexcept { return events_; }

 private:
  double rate_Hz_, k_exc_, ramp_ms_, dt_ms_;
  float q_exc_nS_;
  lane_rng rng_;
  std::vector<std::uint32_t> draws_;  // one uniform per neuron and step, rounded up to whole lane blocks
  std::uint64_t events_ = 0;
};

}  // namespace cortexloop::engine
