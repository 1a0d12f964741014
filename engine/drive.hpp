#pragma once
// External Poisson-like drive of Zerlaut et al. 2018 (their code): every neuron has a private source that,
// in each step, fires with probability dt * k_exc * rate(t) and adds q_exc to the neuron's excitatory
// conductance. rate(t) = rate_Hz * min(1, t / ramp_ms). The rate can be changed while running.
#include <cstdint>
#include <vector>

#include "engine/params.hpp"
#include "engine/rng.hpp"

namespace cortexloop::engine {

// One step's worth of drive, consumed by the cell update: neuron i receives an event (q_nS added to its
// G_e before it is integrated) when always || draw[i] < threshold.
struct drive_draws {
  const std::uint16_t* draw;
  std::uint16_t threshold;
  bool always;
  float q_nS;
};

class poisson_drive {
 public:
  // n_neurons sizes the scratch buffer of random draws (allocated here, once).
  poisson_drive(const drive_params& p, double q_exc_nS, double dt_ms, std::size_t n_neurons, std::uint64_t seed);
  void set_rate_Hz(double rate_Hz) noexcept { rate_Hz_ = rate_Hz; }
  double rate_Hz() const noexcept { return rate_Hz_; }
  // Effective rate at time t, ramp included.
  double rate_at_Hz(double t_ms) const noexcept;
  // Draws the events of the step starting at t_ms for all neurons (valid until the next call). The update
  // of the cells applies them (engine/adex.cpp), which saves a pass over G_e. Allocation-free.
  drive_draws draw(double t_ms) noexcept;
  // The same step as a separate pass: adds the events to g_exc[0..n) (the afferent input, and tests).
  void apply(double t_ms, float* g_exc_nS, std::size_t n) noexcept;
  std::uint64_t events() const noexcept { return events_; }

 private:
  std::size_t n_neurons_;
  double rate_Hz_, k_exc_, ramp_ms_, dt_ms_;
  float q_exc_nS_;
  lane_rng rng_;
  // One 16-bit uniform per neuron and step (two per 32-bit draw: the generator is a tenth of the step),
  // rounded up to whole lane blocks.
  std::vector<std::uint16_t> draws_;
  std::uint64_t events_ = 0;
};

}  // namespace cortexloop::engine
