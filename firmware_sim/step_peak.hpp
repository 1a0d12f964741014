#pragma once
// The largest |current| an electrode carries within one step. The device delivers a step's mean current, which for
// pulses shorter than the step is less than their current: two trains of 50 us pulses at 900 uA on one electrode
// (1800 uA when their pulses coincide) showed as 900 uA, and the monitor passed them. Here the pulse trains'
// phases are placed in the step exactly (piecewise constant), the electrode's other channels added as their step
// mean (constant over the step: exact for DC, the mean of a sine or waveform within the step otherwise), and the
// largest |sum| over the pieces is the step's peak, which the charge monitor holds to max_current_uA and
// compliance_V. Fixed capacity, no allocation; phases beyond it are added at full size to every piece (a bound).
#include <array>
#include <cstddef>
#include <cstdint>

namespace cortexloop::firmware_sim {

class step_peak {
 public:
  // Starts a step of dt_us.
  void clear(std::int64_t dt_us) noexcept {
    dt_us_ = dt_us;
    constant_uA_ = 0.0;
    bound_uA_ = 0.0;
    n_ = 0;
  }
  // A channel whose current is taken as constant over the step.
  void add_constant(double uA) noexcept { constant_uA_ += uA; }
  // A pulse phase of uA over [begin_us, end_us), relative to the step's start.
  void add_phase(std::int64_t begin_us, std::int64_t end_us, double uA) noexcept;
  // A current that may flow at any moment of the step (phases beyond the capacity).
  void add_bound(double abs_uA) noexcept { bound_uA_ += abs_uA; }
  double peak_uA() const noexcept;

 private:
  struct phase {
    std::int64_t begin_us, end_us;
    double uA;
  };
  static constexpr std::size_t kMaxPhases = 48;  // 8 channels x a few pulses per step
  std::array<phase, kMaxPhases> phases_{};
  std::size_t n_ = 0;
  std::int64_t dt_us_ = 0;
  double constant_uA_ = 0.0, bound_uA_ = 0.0;
};

}  // namespace cortexloop::firmware_sim
