#pragma once
// The current an electrode carries within one step, piece by piece: its largest |current| and its phases. The device
// delivers a step's mean current, which for pulses shorter than the step is less than their current: two trains of
// 50 us pulses at 900 uA on one electrode (1800 uA when their pulses coincide) showed as 900 uA, and the monitor
// passed them. Here the pulse trains' phases are placed in the step exactly (piecewise constant), the electrode's
// other channels added as their step mean (constant over the step: exact for DC, the mean of a sine or waveform
// within the step otherwise), and the sum is evaluated on each piece between breakpoints. Its largest |sum| is the
// step's peak, which the charge monitor holds to max_current_uA and compliance_V; its runs of one sign are the
// electrode's phases, whose charges the monitor holds to max_charge_per_phase_nC and shannon_k.
// Fixed capacity, no allocation; phases beyond it are added at full size to every piece (a bound).
#include <array>
#include <cstddef>
#include <cstdint>

namespace cortexloop::firmware_sim {

// The electrode's phase under way at the end of the last step: a maximal run of one sign of the electrode's summed
// current while a pulse phase flows (step_peak::measure). Kept across steps, one per electrode.
struct phase_run {
  int sign = 0;               // 0: none under way
  double charge_uA_us = 0.0;  // |charge| of the run so far
};

struct step_current {
  double peak_uA = 0.0;      // largest |current| within the step (phases beyond the capacity added at full size)
  double phase_uA_us = 0.0;  // largest |charge| of a phase that flowed in the step
};

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
  // The step's peak |current| and, continuing `run` through the step's pieces in time order, the largest |charge|
  // (uA us) of a phase that flowed in the step (one that ended in it, or the charge so far of one still under way at
  // its end), in one pass over the pieces. A phase is a maximal run of pieces in which a pulse phase flows and the
  // electrode's sum has one sign: its charge is exact for the pulses' part (sub-step phases placed where they fall,
  // so a biphasic pulse's two phases within one step do not cancel). Pieces without a pulse phase end it:
  // check_program gives only pulse trains a charge per phase, and a DC or a slow sine (one sign for seconds, held by
  // the net-charge window) would otherwise make an endless "phase".
  // With phases beyond the capacity the whole step joins the run at every current it may carry (a bound).
  step_current measure(phase_run& run) const noexcept;

 private:
  // Calls f(length_us, pulse_uA) for each piece of the step in time order: the sum of the pulse phases over it
  // (constant_uA_ and bound_uA_ not included).
  template <class F>
  void for_each_piece(F&& f) const noexcept;

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
