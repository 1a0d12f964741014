#pragma once
// External Poisson-like drive of Zerlaut et al. 2018 (their code): every neuron has a private source that,
// in each step, fires with probability dt * k_exc * rate(t) and adds q_exc to the neuron's excitatory
// conductance. rate(t) = rate_Hz * min(1, t / ramp_ms). The rate can be changed while running.
// The draw of neuron i at step k is the Philox word of (seed, i, k, stream) (engine/random/philox.hpp): it does not
// depend on N, on the partitioning, on the thread count or on the order of the draws.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/params.hpp"
#include "engine/random/philox.hpp"

namespace cortexloop::engine {

// One step's event rule: neuron i receives an event (q_nS added to its G_e before it is integrated) when
// always || draw[i] < threshold, draw[i] its 16-bit Philox draw.
struct drive_rule {
  std::uint16_t threshold;
  bool always;
  float q_nS;
  bool never() const noexcept { return !always && threshold == 0; }
};

// The drive's probability per step as it is drawn: p = dt * k_exc * rate quantised to 2^-16 (a 16-bit draw against a
// 16-bit threshold, half the random bits of a 32-bit draw), 1 from 65535.5 / 65536 on. The threshold of drive_rule.
struct drive_quantum {
  std::uint16_t threshold;
  bool always;
};
drive_quantum quantise_drive(double p) noexcept;
// The rate a network with this k_exc and dt draws for rate_Hz (the quantised probability back in Hz).
double drawn_drive_rate_Hz(double rate_Hz, double k_exc, double dt_ms) noexcept;
// The largest relative difference between a rate and the rate drawn for it that a config or a command may give (the
// ramp's first steps aside): 1 %. At the default k_exc 400, dt 0.1 ms, every rate from ~0.02 Hz holds it; at k_exc 1
// rates below ~7.6 Hz are drawn several percent off, and 0.07 Hz not at all (an outside audit, 2026-12-07).
inline constexpr double kMaxDriveQuantisationError = 0.01;
// Empty when rate_Hz is drawn within kMaxDriveQuantisationError of itself (or is 0); else why not, with the rate drawn
// and the least rate that holds the bound, for a refusal naming the key or field.
std::string drive_resolution_problem(double rate_Hz, double k_exc, double dt_ms);

// A rule together with the draws of a contiguous range of neurons (draw[0] is the range's first neuron).
struct drive_draws {
  const std::uint16_t* draw;
  drive_rule rule;
};

class poisson_drive {
 public:
  poisson_drive(const drive_params& p, double q_exc_nS, double dt_ms, random_stream stream, std::uint64_t seed);
  // Written between steps by the thread that owns the engine; the workers read it after the step's release.
  void set_rate_Hz(double rate_Hz) noexcept { rate_Hz_ = rate_Hz; }
  double rate_Hz() const noexcept { return rate_Hz_; }
  // Effective rate at time t, ramp included.
  double rate_at_Hz(double t_ms) const noexcept;
  // The event rule of the step starting at step_index * dt (the probability quantised to 2^-16).
  drive_rule rule(std::int64_t step_index) const noexcept;
  // The draws of neurons [128 first_group, 128 (first_group + n_groups)) at step_index into out (128 n_groups).
  // Allocation-free; thread-safe (a pure function of its arguments and the seed).
  void fill(std::int64_t step_index, std::uint32_t first_group, std::size_t n_groups, std::uint16_t* out) const noexcept;
  // The step's events of neurons [begin, end) (begin a multiple of 128) added to their G_e (g_exc_nS indexed by
  // absolute neuron), with draws as scratch (room for end - begin rounded up to 128); returns how many. For the
  // passes that add a drive on its own (the afferent input, the HH cells' drive); the AdEx kernel draws in registers.
  std::uint64_t add_events(std::int64_t step_index, std::uint32_t begin, std::uint32_t end, float* g_exc_nS,
                           std::uint16_t* draws) const noexcept;
  random_stream stream() const noexcept { return stream_; }
  philox_key key() const noexcept { return key_; }

 private:
  double rate_Hz_, k_exc_, ramp_ms_, dt_ms_;
  float q_exc_nS_;
  random_stream stream_;
  philox_key key_;
};

}  // namespace cortexloop::engine
