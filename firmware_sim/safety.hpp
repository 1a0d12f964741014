#pragma once
// Safety as a stimulator enforces it. A program for an electrode is checked before it runs; an unsafe one is
// refused with a reason that names the limit and the numbers (never clipped). While running, a monitor per
// electrode checks what the sum of its channels actually delivers (a combination of individually safe
// programs can still break max current, compliance, charge per phase, charge density or the net-charge window)
// and stops that electrode's output with a safety event. The pulse rate is checked per program only (see
// docs/device.md, Safety: a rate of a sum of trains has no definition that agrees with the per-program one).
//
// Limits (all in device.safety, one set for every electrode; per-electrode area and impedance):
//   max_current_uA          |I| at any time
//   max_charge_per_phase_nC Q = I * phase width, per phase of a pulse
//   shannon_k               Shannon 1992: log10(D) = k - log10(Q), D = Q / A in uC/cm^2 per phase, Q in uC;
//                           a program is safe when log10(Q) + log10(D) <= k (default 1.85)
//   max_net_charge_nC       |sum of charge| over any window of net_charge_window_ms (DC and unbalanced
//                           programs hit this; set it high to allow tDCS-like DC on purpose). A window whose edge
//                           cuts a balanced biphasic pulse holds part of that pulse: the monitor leaves out exactly
//                           the charge of the pulses its two edges cut (charge_monitor::step), so balanced trains
//                           never trip it while DC leakage beside them still does, at the charge I * t.
//   max_pulse_rate_Hz       pulses per second (inside a burst)
//   compliance_V            |I| * impedance must stay below it
// Direct (intracellular-like) sites are limited by max_direct_pA instead (their amplitude in pA per cell).
// Everything except reason formatting is noexcept and allocation-free.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "firmware_sim/electrode.hpp"
#include "firmware_sim/program.hpp"

namespace cortexloop::firmware_sim {

struct safety_limits {
  double max_current_uA = 1000.0;
  double max_charge_per_phase_nC = 100.0;
  double shannon_k = 1.85;
  double max_net_charge_nC = 10.0;
  double net_charge_window_ms = 1000.0;
  double max_pulse_rate_Hz = 500.0;
  double compliance_V = 12.0;
  double max_direct_pA = 1000.0;
};

enum class safety_limit : std::uint8_t {
  none = 0,
  max_current,
  charge_per_phase,
  charge_density,   // Shannon
  net_charge,
  pulse_rate,
  compliance,
  direct_current,
  watchdog,         // an external loop went silent
  model_domain,     // the current a model would receive is beyond its domain of validity
};

const char* safety_limit_name(safety_limit l) noexcept;

// What a model_domain verdict's value and bound measure: which model left its domain, and in which quantity.
// The Zerlaut ring's transfer function holds below a membrane potential; an ALN unit's rates hold inside its
// cascade table's (mu, sigma) grid, of which one coordinate is reported (the first outside: mu_E, sigma_E, mu_I,
// sigma_I) with the edge it passed.
enum class domain_quantity : std::uint8_t {
  ring_mu_v_mV = 0,  // a Zerlaut ring unit's excitatory mu_V, bound device.ring_max_mu_v_mV
  aln_mu_exc,        // an ALN unit's table input, mV/ms or mV/sqrt(ms); bound: the grid's edge
  aln_sigma_exc,
  aln_mu_inh,
  aln_sigma_inh,
};

// A verdict: which limit, the offending value and the bound, in the limit's unit (uA, nC, k, Hz, V, pA, ms).
struct safety_verdict {
  safety_limit limit = safety_limit::none;
  double value = 0.0, bound = 0.0;
  // Context printed by format_reason (0 when not relevant): the phase charge and electrode area of a
  // charge-density verdict; the window of a net-charge verdict, and (check_program's) the part of its bound allowed
  // for the phase of the one pulse a window's edge can cut (bound = max_net_charge_nC + allowance_nC).
  double charge_nC = 0.0, area_mm2 = 0.0, window_ms = 0.0, allowance_nC = 0.0;
  // model_domain only: the quantity, and which ALN unit (-1: the [aln] node; a ring unit's index otherwise).
  domain_quantity domain = domain_quantity::ring_mu_v_mV;
  std::int32_t unit = -1;
  // direct_current from the running monitor: the population whose direct sites' sum broke it (0 exc, 1 inh; -1: one
  // program's static check).
  std::int8_t population = -1;
  bool ok() const noexcept { return limit == safety_limit::none; }
};

// e.g. "charge density: Shannon k = 2.031 > 1.85 (Q = 40 nC per phase on 0.01 mm^2)"; values printed exactly
// (shortest round-trip form). Returns a view into `buffer`.
using reason_text = std::array<char, 200>;
std::string_view format_reason(const safety_verdict& v, reason_text& buffer) noexcept;

// Static check of a program on an electrode (amplitude in uA), or on a direct site (electrode == nullptr,
// amplitude in pA per cell). dt_us: the device step, for the net-charge window.
safety_verdict check_program(const program& p, const electrode_params* electrode, const safety_limits& limits,
                             std::int64_t dt_us) noexcept;

// Running net charge and current of one electrode over a sliding window of whole steps. Sized once.
class charge_monitor {
 public:
  charge_monitor() = default;
  charge_monitor(const safety_limits& limits, const electrode_params& e, std::int64_t dt_us);
  // The window's length in steps of dt_us (at least 1), and the bytes the monitor holds per step of it (the charge
  // delivered and the charge in flight, a double each): the config loader checks the window's memory with these.
  static std::size_t window_steps_of(const safety_limits& limits, std::int64_t dt_us) noexcept;
  static constexpr std::size_t kBytesPerWindowStep = 2 * sizeof(double);
  // The electrode's total charge in this step (nC), the largest |current| within the step (uA; step_peak.hpp;
  // < 0: the step's mean, from the charge), the largest |charge| of a phase of the electrode's summed current
  // that flowed in the step (nC; step_peak::measure), held to max_charge_per_phase_nC and shannon_k
  // on the electrode's area, and in_flight_nC: the charge delivered so far by the balanced biphasic pulses under way
  // at the step's end (signed; 0 between pulses). Returns the first limit broken (in check_program's order), or ok.
  //
  // The net charge checked is the window's sum less the charge of the pulses its edges cut: the pulses under way at
  // its newest edge (in_flight_nC now) and the rest, inside the window, of those under way at its oldest edge (the
  // negative of what they had delivered by then, in_flight_nC of the step just before the window: a balanced pulse
  // completes to 0). Exact, from the programs, so a DC leak beside a running train is held to I * t as it is alone.
  // (A standing allowance of every running train's phase charge, before, let 0.0693 uA of DC under a 450 uA / 90 nC
  // train deliver 207.9 nC net in 3 s: an outside audit.)
  safety_verdict step(double charge_nC, double peak_uA = -1.0, double phase_nC = 0.0, double in_flight_nC = 0.0) noexcept;
  double window_net_charge_nC() const noexcept { return sum_nC_; }
  // The verdict of the next step if it delivered nothing and left no pulse under way: the net charge the window
  // would still hold then (what a safety stop left, while the window holds it), against max_net_charge_nC. The
  // stimulator holds an electrode it stopped to this before it lets a program loaded there deliver anything.
  safety_verdict idle_verdict() const noexcept;
  void reset() noexcept;
  // A safety stop in the step just given: it cut every pulse under way on the electrode, and they will not complete,
  // so none is in flight at that step's end. What they delivered is then net charge the electrode carries: each counts
  // with its whole delivered charge while any step of it is in the window (the window's edge cutting it then adds
  // back what already left, as for a pulse that completes), and not after. Held to max_net_charge_nC, that residual
  // keeps a program loaded on the electrode within the window from running (stopped at its first step, NetCharge):
  // an outside check's two 450 uA trains, stopped with their 180 nC cathodic phase delivered and no recovery phase,
  // left -180 nC in the window, and a train loaded 5 ms later had run on.
  void pulses_cut_by_stop() noexcept;
  std::size_t window_steps() const noexcept { return window_nC_.size(); }

 private:
  safety_limits limits_{};
  electrode_params electrode_{};
  std::int64_t dt_us_ = 100;
  std::vector<double> window_nC_;   // per-step charges of the last window_steps() steps, a ring buffer
  std::vector<double> in_flight_nC_;  // per step, as window_nC_: the in_flight_nC given with it
  std::size_t head_ = 0;           // slot of the oldest step (overwritten next)
  std::size_t steps_since_resum_ = 0;
  double sum_nC_ = 0.0;
};

// An external controller must send something at least every timeout; when it goes silent the device ramps
// its output to zero over ramp_down_ms and publishes a safety event (safety_limit::watchdog).
class watchdog {
 public:
  watchdog() = default;
  watchdog(std::int64_t timeout_steps) noexcept : timeout_steps_(timeout_steps) {}
  void arm(std::int64_t now_step) noexcept { armed_ = true; last_feed_ = now_step; fired_ = false; }
  void disarm() noexcept { armed_ = false; fired_ = false; }
  void feed(std::int64_t now_step) noexcept { last_feed_ = now_step; fired_ = false; }
  // True exactly once, at the first step past the timeout since the last feed.
  bool expired(std::int64_t now_step) noexcept {
    if (!armed_ || fired_ || now_step - last_feed_ <= timeout_steps_) return false;
    fired_ = true;
    return true;
  }
  bool armed() const noexcept { return armed_; }
  bool fired() const noexcept { return fired_; }

 private:
  std::int64_t timeout_steps_ = 0, last_feed_ = 0;
  bool armed_ = false, fired_ = false;
};

}  // namespace cortexloop::firmware_sim
