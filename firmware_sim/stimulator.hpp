#pragma once
// The stimulation back-end of the simulated device: kChannels channels, each running one program (program.hpp)
// on one site, turned every step into the current each model receives.
//
// Sites:
//   population     direct injection (intracellular / optogenetic-like): amplitude in pA per cell into every
//                  cell of `population` in the network and every unit of it in the ring
//   ring_position  direct injection into the ring's units of `population`, Gaussian of width_mm about
//                  position_mm (pA per unit at the centre)
//   electrode      current (uA) through electrode `electrode`: an extracellular field acting on the network
//                  (placed at network_position_mm) and on every ring unit through physics (electrode.hpp):
//                  membrane current = k_pop * H(I) / (4 pi sigma r^2) per target
//
// Timing: steps of dt_us (integer us); step k covers [k dt, (k+1) dt). A program loaded with start_step s
// has local time tau_k = (k - s) * dt_us - delay_us at the start of step k, so delays are exact in us. The
// current of step k is program_charge(p, tau_k, tau_k + dt_us) / dt_us: never a sample.
// Each step the sum of every channel on each electrode passes a charge_monitor (safety.hpp); a broken limit
// clears that electrode's channels and queues a safety event.
//
// The ring steps every few network steps; ring_currents_pA() gives the mean over the steps since the last
// call, so the ring receives exactly the charge of its step whatever the pulses' timing.
// Construction allocates; everything else is noexcept and allocation-free.
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/inputs/external_current.hpp"
#include "engine/params.hpp"
#include "firmware_sim/electrode.hpp"
#include "firmware_sim/program.hpp"
#include "firmware_sim/safety.hpp"
#include "firmware_sim/step_peak.hpp"

namespace cortexloop::firmware_sim {

enum class site_kind : std::uint8_t { population = 0, ring_position = 1, electrode = 2 };

struct site {
  site_kind kind = site_kind::population;
  engine::population population = engine::population::exc;  // population, ring_position
  double position_mm = 0.0;  // ring_position: centre, [0, ring length)
  double width_mm = 1.5;     // ring_position: Gaussian standard deviation
  std::uint8_t electrode = 0;  // electrode: index into the layout's electrodes
  bool operator==(const site&) const = default;
};

// Ring geometry the stimulator maps positions onto (n_units = 0: no ring).
struct ring_geometry {
  std::uint32_t n_units = 0;
  double length_mm = 36.0;
};

inline constexpr std::size_t kMaxElectrodes = 8;

// Everything fixed at start-up.
struct stimulator_layout {
  std::int64_t dt_us = 100;
  ring_geometry ring{};
  bool network = true;               // a spiking network or the ALN node runs (else the network's targets are ignored)
  bool spiking_network = true;       // cells are stepped: the network's sensed signals (lfp_proxy, rate_*) exist
  bool aln_node = false;             // the [aln] node runs: its sensed signals (aln_rate_*) exist
  double network_position_mm = 0.0;  // where the network's patch sits on the ring
  std::vector<electrode_params> electrodes;  // <= kMaxElectrodes
  coupling_params coupling{};
  safety_limits safety{};
};

// The per-unit weights of a ring_position site on this ring: out[i] = exp(-d_i^2 / (2 width_mm^2)), d_i the
// periodic distance from unit i to position_mm (engine/meanfield/ring_geometry.hpp, the ring's own geometry, so
// that a site and a config stimulus at the same position hit the same units); out.size() must be ring.n_units.
// O(n_units) exp (~7 us at 1024 units): the server computes it on the I/O thread when it decodes the command
// (io/protocol/codec.cpp) and hands it to load() / device::set_controller(), never on the real-time thread.
void ring_site_profile(const site& s, const ring_geometry& ring, std::span<float> out) noexcept;

// Why a (site, program) cannot run on this layout, or an empty view when it can: range checks of every
// field (the reason names field, value and range; non-finite values refused) followed by check_program
// (safety.hpp). `reason` holds the text.
std::string_view validate(const site& s, const program& p, const stimulator_layout& layout, reason_text& reason,
                          safety_verdict* verdict = nullptr) noexcept;

struct safety_event {
  std::int64_t step = 0;
  std::int16_t channel = -1;    // -1: not one channel (an electrode monitor, the watchdog)
  std::int16_t electrode = -1;
  safety_verdict verdict{};
};

class stimulator final : public engine::external_current_source {
 public:
  static constexpr std::size_t kChannels = 8;
  static constexpr std::size_t kMaxEvents = 16;  // queued safety events between two take_events()

  explicit stimulator(const stimulator_layout& layout);
  // The old constructor: direct sites only, no electrodes, default safety.
  stimulator(double dt_ms, ring_geometry ring);

  // Loads a program on a channel, replacing what ran there, with local time -delay_us at the start of
  // step start_step. The (site, program) must have passed validate().
  // A ring_position site takes its per-unit weights from ring_profile, used as given (a copy of n_units
  // floats): ring_site_profile() computed off the real-time thread. An empty ring_profile (or one of another
  // size) makes load() compute it here with ring_site_profile(): O(n_units) exp, for offline use and tests only.
  void load(std::size_t channel, const site& s, const program& p, std::int64_t start_step,
            std::span<const float> ring_profile = {}) noexcept;
  // A biphasic pulse under way when its program is replaced (load) or cleared on an electrode site is completed at
  // the amplitude it started with, on the electrode it started on (a stimulator does not leave a pulse half
  // delivered: that is one phase of net charge in the tissue). A safety stop stops at once.
  void clear(std::size_t channel) noexcept;
  void clear_all() noexcept;
  // The caller's step numbering moves by `shift` (a Reset: the new engine counts from 0 while the device's clock
  // runs on). Every step the stimulator holds (programs, tails, ramps) moves with it, so a pulse completed after a
  // clear is completed at once, not when the new count reaches the old step.
  void renumber_steps(std::int64_t shift) noexcept;
  // Scales a running program's amplitude (controllers); the new amplitude must have passed the same limits. A pulse
  // train takes it between pulses (pulse_train_pause_at_or_after): a change inside a biphasic pulse waits for its
  // end, so every pulse has zero net charge (an amplitude changed between its phases delivered up to +50 nC).
  void set_amplitude(std::size_t channel, double amplitude) noexcept;
  // Ramps a channel's output linearly to zero over ramp_us from now_step on, then clears it (watchdog). A pulse
  // train takes the ramp's factor between pulses only, as it takes set_amplitude, and its last pulse is completed
  // (as clear() completes one), so every biphasic pulse stays balanced under the ramp; ramp_us <= 0 stops it at once,
  // the pulse under way completed likewise.
  void ramp_down(std::size_t channel, std::int64_t ramp_us, std::int64_t now_step) noexcept;
  bool active(std::size_t channel) const noexcept;
  // The safety monitor stopped this channel's program (an electrode's limits, a population's direct sum), and no
  // load() or clear() of it came since. A controller does not load its program on such a channel: nothing restarts
  // a stopped program on its own (docs/device.md, "Controllers").
  bool stopped_by_safety(std::size_t channel) const noexcept {
    return channel < kChannels && safety_stopped_[channel];
  }
  const site& channel_site(std::size_t channel) const noexcept;
  const program& channel_program(std::size_t channel) const noexcept;

  // Per-cell currents of the network at this step (and, as a side effect, the step's charges per channel and
  // electrode, the monitors and the ring accumulators). Call once per step, in order.
  engine::population_currents currents_pA(std::int64_t step_index) noexcept override;
  // Mean per-unit ring currents over the steps since the previous call (empty spans: none; t_ms is not used:
  // the steps counted are those since the previous call). Called again with no step in between, it returns
  // the previous values.
  engine::ring_currents ring_currents_pA(double t_ms) noexcept override;

  // What was delivered in the last step: mean current of each channel (uA or pA) and of each electrode (uA).
  std::span<const double> channel_current() const noexcept { return channel_now_; }
  std::span<const double> electrode_current_uA() const noexcept { return electrode_now_; }
  // Safety events since the last clear_events(), in order; one that finds the queue full is counted.
  std::span<const safety_event> events() const noexcept { return {events_.data(), n_events_}; }
  void clear_events() noexcept { n_events_ = 0; }
  std::int64_t events_dropped() const noexcept { return events_dropped_; }

  const stimulator_layout& layout() const noexcept { return layout_; }
  double dt_ms() const noexcept { return static_cast<double>(layout_.dt_us) / 1000.0; }
  const ring_geometry& ring() const noexcept { return layout_.ring; }

 private:
  struct channel_state {
    site where{};
    program p{};
    bool loaded = false;
    std::int64_t start_step = 0;  // local time is -delay_us at the start of this step
    std::int64_t end_us = -1;     // program_end_us(p): the channel clears itself after it
    bool ramping = false;         // ramp_down(): envelope from 1 at ramp_from_us to 0 at ramp_to_us (device time)
    std::int64_t ramp_from_us = 0, ramp_to_us = 0;
    double ring_sum = 0.0;        // direct sites: sum of the channel's step currents since the last ring flush
    bool amplitude_pending = false;  // set_amplitude on a pulse train: p.amplitude becomes this at the next pause
    double pending_amplitude = 0.0;
    double pulse_factor = 1.0;  // pulse trains: the watchdog ramp's factor of the pulse under way (taken at pauses)
  };
  // Where a pulse train took a new amplitude or ramp factor in a step (at = tau1: it did not), and the scaled
  // amplitude (amplitude x ramp factor) of what came before.
  struct step_switch {
    std::int64_t at = 0;
    double scaled_before = 0.0;
  };
  // The channel's charge over local [tau0, tau1), scaled by the watchdog ramp (factor_now: its envelope now).
  double step_charge(channel_state& c, std::int64_t tau0, std::int64_t tau1, double factor_now,
                     step_switch& sw) noexcept;
  void add_to_peak(const channel_state& c, std::int64_t tau0, const step_switch& sw, double mean_uA) noexcept;

  void finish(std::size_t channel) noexcept;        // clears, keeping what it delivered for the ring
  void flush_ring(std::size_t channel) noexcept;    // moves ring_sum into the per-unit sums
  void push_event(const safety_event& e) noexcept;
  void stop_direct_sums(std::int64_t step_index, const std::array<double, 2>& direct_pA, double& net_exc,
                        double& net_inh) noexcept;

  stimulator_layout layout_;
  std::size_t n_units_ = 0;
  std::array<channel_state, kChannels> channels_{};
  // Electrodes: one coupling filter per electrode (the filter is linear, so filtering the sum of the
  // electrode's channels equals summing filtered channels, and a cleared channel's tail stays with the
  // electrode it was delivered through); geometric factors 1 / (4 pi sigma r^2) in V/m per uA.
  std::array<coupling_filter, kMaxElectrodes> filters_{};
  std::array<charge_monitor, kMaxElectrodes> monitors_{};
  std::array<step_peak, kMaxElectrodes> peaks_{};  // the step's current per electrode, piece by piece, for the monitor
  std::array<phase_run, kMaxElectrodes> phase_runs_{};  // each electrode's phase under way across steps
  // The rest of a pulse under way when its channel was reloaded or cleared (see clear()): the old program (at the
  // scaled amplitude the pulse started with), its start step, and the local time at which the pulse ends. A pool of
  // twice the channel count, shared, so that a channel reloaded again within a cut pulse completes both; with more
  // pulses cut at once than that, the one ending first gives way.
  struct pulse_tail {
    bool active = false;
    program p{};
    std::int64_t start_step = 0, end_tau = 0;
    std::size_t electrode = 0, channel = 0;
  };
  static constexpr std::size_t kTails = 2 * kChannels;
  std::array<pulse_tail, kTails> tails_{};
  std::int64_t next_step_ = 0;  // the step currents_pA computes next (clear() has no step of its own)
  void keep_tail(std::size_t channel, std::int64_t stop_step) noexcept;
  std::array<double, kMaxElectrodes> field_network_{};  // at network_position_mm
  std::vector<double> field_ring_;                      // [electrode][unit]
  std::array<double, kMaxElectrodes> filtered_sum_uA_{};  // filtered current summed since the last ring call
  // Ring: Gaussian profiles of ring_position channels [channel][unit], per-unit sums of flushed direct
  // channels since the last ring call, and the per-population uniform part.
  std::vector<float> profiles_;
  std::vector<double> ring_sum_exc_, ring_sum_inh_;
  std::array<double, 2> uniform_sum_{};  // exc, inh
  std::int64_t ring_steps_ = 0;          // steps since the last ring call
  std::vector<float> ring_exc_, ring_inh_;
  bool ring_nonzero_ = false;

  std::array<bool, kChannels> safety_stopped_{};  // stopped_by_safety()
  // An electrode the monitor stopped, until the net charge its window would hold with nothing delivered is within
  // max_net_charge_nC (charge_monitor::idle_verdict): a program loaded there meanwhile is stopped before it delivers
  // anything. It was stopped after its first step, unbalanced: each load (each trigger of a controller) added a
  // step's charge, -3150 nC in 5 s from two responsive controllers against a limit of 10 nC (an outside audit,
  // 2026-12-07).
  std::array<bool, kMaxElectrodes> locked_{};
  std::array<double, kChannels> channel_now_{};
  std::array<double, kMaxElectrodes> electrode_now_{};
  std::array<safety_event, kMaxEvents> events_{};
  std::size_t n_events_ = 0;
  std::int64_t events_dropped_ = 0;
};

}  // namespace cortexloop::firmware_sim
