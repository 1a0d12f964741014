#pragma once
// The simulated neurostimulator as one device: stimulation back-end (stimulator.hpp: channels, programs,
// electrodes, safety), sensing front-end (sensing.hpp) and on-device controllers (controllers.hpp), stepped
// inside the engine's tick (engine::external_current_source). One step, in order:
//   1 currents_pA(k)      the stimulator's programs give every model its current for step k
//   2 (engine steps the network, and the ring when its interval ends: ring_currents_pA)
//   3 observe(signals)    every sensing channel steps (samples when due), then every controller reads its
//                         channel and may load or modulate a program, effective from step k + 1
// So the on-device loop closes in one step (dt) plus the sensing channel's sample period.
// finish_tick() fills the tick's readout: what the device sensed, decided and delivered, and its safety
// events. Construction allocates; everything else is noexcept and allocation-free.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/inputs/external_current.hpp"
#include "firmware_sim/controllers.hpp"
#include "firmware_sim/sensing.hpp"
#include "firmware_sim/stimulator.hpp"

namespace cortexloop::firmware_sim {

inline constexpr std::size_t kMaxSensing = 8;
inline constexpr std::size_t kMaxControllers = 4;
inline constexpr std::size_t kMaxTickEvents = 8;

struct device_params {
  stimulator_layout layout{};
  std::vector<sensing_params> sensing;  // <= kMaxSensing
  // The mean field's domain of validity: its transfer function was fitted in the fluctuation-driven regime,
  // with mu_V below the cells' threshold; above it the erfc form extrapolates (at 3 nA it gives 0.14 Hz with
  // mu_V = +12 mV). A ring unit whose excitatory mu_V exceeds this is flagged (readout, safety event
  // model_domain, once per excursion). Default: the excitatory cells' v_t_mV.
  // ALN units (the [aln] node, a ring of them) need no parameter: their domain is their cascade table's grid.
  double ring_max_mu_v_mV = -50.0;
};

// What the device did in one tick (fixed size: crosses the real-time queue inside the readout record).
struct device_readout {
  std::uint32_t n_sensing = 0, n_electrodes = 0;
  struct sensed {
    double signal = 0, raw = 0, filtered = 0, rms = 0, envelope = 0, phase_rad = -1;
    bool blanked = false;
  };
  std::array<sensed, kMaxSensing> sensing{};                 // last sample of the tick
  struct channel {
    bool active = false;
    double mean_current = 0.0;  // over the tick: uA (electrode) or pA (direct site)
    double peak_current = 0.0;  // largest |step current| in the tick (same unit)
    double charge = 0.0;        // over the tick: nC (electrode) or pA x ms (direct site)
    std::uint8_t site_kind = 0;
  };
  std::array<channel, stimulator::kChannels> channels{};
  std::array<double, kMaxElectrodes> electrode_mean_uA{};
  std::array<controller_status, kMaxControllers> controllers{};
  std::uint32_t n_events = 0;                                 // safety events of this tick (first kMaxTickEvents)
  std::array<safety_event, kMaxTickEvents> events{};
  std::int64_t events_total = 0, events_dropped = 0;
  // At the tick's last ring step: Zerlaut units whose excitatory mu_V is above ring_max_mu_v_mV, or ALN units that
  // read outside their cascade table's grid.
  std::uint32_t ring_units_out_of_domain = 0;
  double ring_max_mu_v_mV = 0.0;               // largest excitatory mu_V of a Zerlaut ring then (0 for ALN units)
};

class device final : public engine::external_current_source {
 public:
  explicit device(const device_params& p);

  // Commands (applied between ticks by the real-time thread; programs and controllers validated before).
  // ring_profile: the weights of a ring_position site (program) or output site (controller), ring_site_profile()
  // computed off the real-time thread; see stimulator::load (empty: computed here, offline use only). A
  // controller's is copied into the device's storage for its slot, which every load of its output uses.
  void load(std::size_t channel, const site& s, const program& p, std::int64_t start_step,
            std::span<const float> ring_profile = {}) noexcept;
  // Stops the channel's program (ClearStimulation) and the controllers that drive it; an External controller only
  // watches the channel, and stays: a loop that clears and reloads its channel keeps its watchdog.
  void clear(std::size_t channel) noexcept;
  void clear_channels() noexcept;  // every channel, as clear() (ClearStimulation all)
  void clear_all() noexcept;       // every channel and every controller (a Reset)
  // After a Reset's clear_all: the new engine numbers its steps from 0, `shift` = new - old step of the same
  // moment. The device's clock does not restart: pulse tails and blanking windows under way go on in the new
  // numbering (the stepped state the controllers hold went with clear_all; a new controller starts afresh).
  void renumber_steps(std::int64_t shift) noexcept;
  void set_controller(std::size_t slot, const controller_params& c, std::int64_t start_step,
                      std::span<const float> ring_profile = {}) noexcept;
  // A PI clamp or open-loop schedule that stops takes the program it modulated with it (left at its last amplitude,
  // it ran on unsupervised); the programs a responsive or phase-locked controller loaded run to their end.
  void clear_controller(std::size_t slot) noexcept;
  void clear_controllers() noexcept;
  // A command on the channels of `channel_mask` (bit c: channel c) arrived: feeds the watchdog of each external
  // controller whose channel is one of them. Only its own channel's commands keep an external loop alive: a Ping
  // or another client's command on another channel fed every watchdog once, and a monitoring client's pings kept
  // a dead loop's stimulation on (an outside check, 2026-12-04).
  void feed(std::int64_t step_index, std::uint32_t channel_mask) noexcept;

  engine::population_currents currents_pA(std::int64_t step_index) noexcept override;
  engine::ring_currents ring_currents_pA(double t_ms) noexcept override;
  void observe(const engine::step_signals& s) noexcept override;

  // Fills `out` with the tick since the previous call and starts a new one.
  void finish_tick(device_readout& out) noexcept;

  // The ring currents handed out by the last ring_currents_pA() (for the readout; no side effect).
  engine::ring_currents last_ring_currents() const noexcept { return last_ring_; }
  const stimulator& stim() const noexcept { return stim_; }
  const device_params& params() const noexcept { return params_; }
  std::span<const sensing_channel> sensing() const noexcept { return {sensing_.data(), params_.sensing.size()}; }
  bool controller_active(std::size_t slot) const noexcept { return slot < kMaxControllers && active_[slot]; }
  // Whether an active controller other than `except_slot` sets this channel's output (open loop, responsive, PI
  // clamp, phase-locked; an External one only watches its channel). A program or a second controller loaded there
  // would be driven by it (a PI clamp raised a user's 50 pA sine to 194 pA: an outside check, 2026-12-04).
  bool channel_driven(std::size_t channel, std::size_t except_slot = kMaxControllers) const noexcept {
    return has_controller_on(channel, except_slot, false);
  }
  // Whether an active controller of any kind other than `except_slot` has this output channel: a channel takes one
  // controller (an External one beside a PI clamp had its loop's programs refused and its watchdog fire: an outside
  // check, 2026-12-04).
  bool channel_controlled(std::size_t channel, std::size_t except_slot = kMaxControllers) const noexcept {
    return has_controller_on(channel, except_slot, true);
  }

 private:
  bool has_controller_on(std::size_t channel, std::size_t except_slot, bool external_too) const noexcept;
  void collect_events() noexcept;
  void check_ring_domain(const engine::step_signals& s) noexcept;
  void check_aln_ring_domain(const engine::step_signals& s) noexcept;
  void check_aln_node_domain(const engine::step_signals& s) noexcept;
  // A model's excursion out of its domain: one model_domain event when it starts (was_out false, now out).
  void domain_edge(bool out, bool& was_out, std::int64_t step, const safety_verdict& v) noexcept;
  void push_event(const safety_event& e) noexcept;

  device_params params_;
  stimulator stim_;
  std::vector<sensing_channel> sensing_;
  std::array<controller, kMaxControllers> controllers_{};
  std::vector<float> controller_profiles_;  // [slot][ring unit]: ring_position output sites' weights
  std::array<bool, kMaxControllers> active_{};
  std::array<std::int64_t, kMaxControllers> watchdog_seen_{};
  engine::ring_currents last_ring_{};
  // tick accumulators
  std::array<double, stimulator::kChannels> sum_current_{}, peak_current_{};
  std::array<double, kMaxElectrodes> sum_electrode_uA_{};
  std::int64_t steps_in_tick_ = 0;
  std::array<safety_event, kMaxTickEvents> tick_events_{};
  std::uint32_t n_tick_events_ = 0;
  std::int64_t events_total_ = 0, events_dropped_ = 0;
  std::uint32_t ring_out_of_domain_ = 0;
  double ring_max_mu_v_ = 0.0;
  bool ring_was_out_ = false, aln_node_was_out_ = false;
};

// Device parameters for an engine config without [device]: direct sites only, default safety, the ring's
// geometry and dt from the engine.
stimulator_layout default_layout(double dt_ms, ring_geometry ring, bool network);

}  // namespace cortexloop::firmware_sim
