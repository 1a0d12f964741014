#include "firmware_sim/device.hpp"

#include <algorithm>
#include <cmath>

#include "engine/aln/aln_model.hpp"
#include "engine/aln/aln_ring.hpp"
#include "engine/meanfield/ring.hpp"
#include "engine/network/network.hpp"

namespace cortexloop::firmware_sim {

stimulator_layout default_layout(double dt_ms, ring_geometry ring, bool network) {
  stimulator_layout l;
  l.dt_us = std::llround(dt_ms * 1000.0);
  l.ring = ring;
  l.network = network;
  return l;
}

device::device(const device_params& p) : params_(p), stim_(p.layout) {
  controller_profiles_.assign(kMaxControllers * std::size_t{p.layout.ring.n_units}, 0.0f);
  sensing_.reserve(kMaxSensing);
  for (const sensing_params& s : p.sensing) sensing_.emplace_back(s, p.layout);
}

void device::load(std::size_t channel, const site& s, const program& p, std::int64_t start_step,
                  std::span<const float> ring_profile) noexcept {
  stim_.load(channel, s, p, start_step, ring_profile);
}

void device::clear(std::size_t channel) noexcept {
  stim_.clear(channel);
  // A controller that drove this channel stops with it: nothing keeps running that the user stopped. An External
  // one drives nothing (it watches the channel for its loop): clearing the channel deleted it, and a loop that
  // cleared and reloaded its channel ran on with no watchdog (an outside check, 2026-12-04).
  for (std::size_t i = 0; i < kMaxControllers; ++i) {
    const controller_params& p = controllers_[i].params();
    if (active_[i] && p.output_channel == channel && p.kind != controller_kind::external) active_[i] = false;
  }
}

bool device::has_controller_on(std::size_t channel, std::size_t except_slot, bool external_too) const noexcept {
  for (std::size_t i = 0; i < kMaxControllers; ++i) {
    const controller_params& p = controllers_[i].params();
    if (i != except_slot && active_[i] && p.output_channel == channel &&
        (external_too || p.kind != controller_kind::external))
      return true;
  }
  return false;
}

void device::clear_channels() noexcept {
  for (std::size_t ch = 0; ch < stimulator::kChannels; ++ch) clear(ch);
}

void device::clear_all() noexcept {
  stim_.clear_all();
  active_.fill(false);
}

void device::renumber_steps(std::int64_t shift) noexcept {
  stim_.renumber_steps(shift);
  for (sensing_channel& s : sensing_) s.renumber_steps(shift);
}

void device::set_controller(std::size_t slot, const controller_params& c, std::int64_t start_step,
                            std::span<const float> ring_profile) noexcept {
  if (slot >= kMaxControllers) return;
  const std::int64_t sample_period_us =
      c.sensing_channel < sensing_.size()
          ? sensing_[c.sensing_channel].steps_per_sample() * params_.layout.dt_us
          : params_.layout.dt_us;
  // A ring_position output: its weights for this slot, used by every load of the output program (a responsive
  // or phase-locked controller loads on each trigger).
  std::span<const float> output_profile;
  const std::size_t n_units = params_.layout.ring.n_units;
  if (c.output_site.kind == site_kind::ring_position && n_units > 0) {
    const std::span<float> stored{controller_profiles_.data() + slot * n_units, n_units};
    if (ring_profile.size() == n_units) std::copy(ring_profile.begin(), ring_profile.end(), stored.begin());
    else ring_site_profile(c.output_site, params_.layout.ring, stored);  // offline callers only
    output_profile = stored;
  }
  controller next(c, start_step, params_.layout.dt_us, sample_period_us, output_profile);
  // Set again over a channel the safety monitor stopped, it starts afresh and loads its program: the command is the
  // user's (clear_controller + set_controller). A PI clamp taken as its own continuation set the amplitude of a
  // program no longer loaded: accepted, it drove nothing while its readout showed a saturated clamp (an outside
  // audit, 2026-12-07).
  const bool stopped = stim_.stopped_by_safety(c.output_channel);
  if (active_[slot] && (stopped || !next.continue_from(controllers_[slot]))) clear_controller(slot);
  if (stopped) stim_.clear(c.output_channel);  // nothing runs there: this only lets the new controller load it
  controllers_[slot] = next;
  watchdog_seen_[slot] = 0;
  active_[slot] = true;
}

void device::clear_controller(std::size_t slot) noexcept {
  if (slot >= kMaxControllers || !active_[slot]) return;
  const controller_params& p = controllers_[slot].params();
  // A PI clamp reprogrammed onto another channel left the old one at 200 pA with nothing watching it (an outside
  // check, 2026-12-04).
  if (controllers_[slot].started() && (p.kind == controller_kind::pi_clamp || p.kind == controller_kind::open_loop))
    stim_.clear(p.output_channel);
  active_[slot] = false;
}

void device::clear_controllers() noexcept {
  for (std::size_t i = 0; i < kMaxControllers; ++i) clear_controller(i);
}

void device::feed(std::int64_t step_index, std::uint32_t channel_mask) noexcept {
  for (std::size_t i = 0; i < kMaxControllers; ++i) {
    const controller_params& p = controllers_[i].params();
    if (active_[i] && p.kind == controller_kind::external && p.output_channel < 32 &&
        (channel_mask >> p.output_channel & 1u))
      controllers_[i].feed(step_index);
  }
}

engine::population_currents device::currents_pA(std::int64_t step_index) noexcept {
  const engine::population_currents c = stim_.currents_pA(step_index);
  const std::span<const double> now = stim_.channel_current();
  for (std::size_t ch = 0; ch < stimulator::kChannels && ch < now.size(); ++ch) {
    sum_current_[ch] += now[ch];
    peak_current_[ch] = std::max(peak_current_[ch], std::fabs(now[ch]));
  }
  const std::span<const double> el = stim_.electrode_current_uA();
  for (std::size_t e = 0; e < el.size() && e < kMaxElectrodes; ++e) sum_electrode_uA_[e] += el[e];
  ++steps_in_tick_;
  return c;
}

engine::ring_currents device::ring_currents_pA(double t_ms) noexcept {
  last_ring_ = stim_.ring_currents_pA(t_ms);
  return last_ring_;
}

void device::observe(const engine::step_signals& s) noexcept {
  signal_inputs in;
  in.spikes_exc = s.spikes_exc;
  in.spikes_inh = s.spikes_inh;
  in.net = s.net;
  if (s.net) {
    in.n_exc = s.net->n_exc();
    in.n_inh = s.net->n_inh();
  }
  in.ring_vsdi_percent = s.ring_vsdi_percent;
  in.ring_rates_exc_Hz = s.ring_rates_exc_Hz;
  in.ring_rates_inh_Hz = s.ring_rates_inh_Hz;
  if (s.aln) {
    in.aln_rate_exc_Hz = s.aln->rate_e_Hz();
    in.aln_rate_inh_Hz = s.aln->rate_i_Hz();
  }
  const std::span<const double> electrodes = stim_.electrode_current_uA();
  for (sensing_channel& ch : sensing_) ch.step(s.step_index, in, electrodes);
  for (std::size_t i = 0; i < kMaxControllers; ++i) {
    if (!active_[i]) continue;
    const controller_params& cp = controllers_[i].params();
    static const sensed_sample kNone{};
    const sensed_sample& sample = cp.sensing_channel < sensing_.size() ? sensing_[cp.sensing_channel].last() : kNone;
    controllers_[i].step(s.step_index, sample, stim_);
    // A controller cannot reach the stimulator's event queue: its watchdog expiries are published here.
    const controller_status& st = controllers_[i].status();
    if (st.watchdog_events > watchdog_seen_[i]) {
      watchdog_seen_[i] = st.watchdog_events;
      push_event(st.last_event);
    }
  }
  // Each model's domain of validity: the Zerlaut units' fitted transfer function, the ALN units' cascade table.
  if (s.ring_stepped && s.ring) check_ring_domain(s);
  if (s.ring_stepped && s.aln_ring) check_aln_ring_domain(s);
  if (s.aln) check_aln_node_domain(s);
  collect_events();
}

namespace {
// The first of an ALN unit's table inputs outside the grid (mu_E, sigma_E, mu_I, sigma_I), as a model_domain verdict
// whose bound is the edge it passed; unit: -1 for the [aln] node.
safety_verdict aln_domain_verdict(const engine::aln::aln_model& m, std::int32_t unit) noexcept {
  const engine::aln::cascade_grid& g = m.table().grid;
  safety_verdict v;
  v.limit = safety_limit::model_domain;
  v.unit = unit;
  auto outside = [&v](double x, double lo, double hi, domain_quantity q) {
    if (x >= lo && x <= hi) return false;
    v.value = x;
    v.bound = x < lo ? lo : hi;  // NaN: reported against the upper edge
    v.domain = q;
    return true;
  };
  const engine::aln::table_point e = m.table_input_e(), i = m.table_input_i();
  outside(e.mu_mV_per_ms, g.mu_min_mV_per_ms, g.mu_max_mV_per_ms, domain_quantity::aln_mu_exc) ||
      outside(e.sigma_mV_per_sqrt_ms, g.sigma_min_mV_per_sqrt_ms, g.sigma_max_mV_per_sqrt_ms,
              domain_quantity::aln_sigma_exc) ||
      outside(i.mu_mV_per_ms, g.mu_min_mV_per_ms, g.mu_max_mV_per_ms, domain_quantity::aln_mu_inh) ||
      outside(i.sigma_mV_per_sqrt_ms, g.sigma_min_mV_per_sqrt_ms, g.sigma_max_mV_per_sqrt_ms,
              domain_quantity::aln_sigma_inh);
  return v;
}
}  // namespace

void device::domain_edge(bool out, bool& was_out, std::int64_t step, const safety_verdict& v) noexcept {
  if (out && !was_out) {
    safety_event e;
    e.step = step;
    e.verdict = v;
    push_event(e);
  }
  was_out = out;
}

// The node's table look-up of this step, against the grid the model itself checks (aln_model::out_of_table()
// counts the same steps).
void device::check_aln_node_domain(const engine::step_signals& s) noexcept {
  const bool out = !s.aln->last_step_in_table();
  domain_edge(out, aln_node_was_out_, s.step_index, out ? aln_domain_verdict(*s.aln, -1) : safety_verdict{});
}

// A ring of ALN units has one domain flag, as the Zerlaut ring: an excursion starts when a first unit leaves the
// grid and ends when every unit is back; its event names the first unit out.
void device::check_aln_ring_domain(const engine::step_signals& s) noexcept {
  std::uint32_t out = 0;
  std::int32_t first = -1;
  const std::size_t n = s.aln_ring->n_units();
  for (std::size_t u = 0; u < n; ++u) {
    if (s.aln_ring->unit(u).last_step_in_table()) continue;
    if (out++ == 0) first = static_cast<std::int32_t>(u);
  }
  ring_out_of_domain_ = out;
  ring_max_mu_v_ = 0.0;
  domain_edge(out > 0, ring_was_out_, s.step_index,
              out > 0 ? aln_domain_verdict(s.aln_ring->unit(static_cast<std::size_t>(first)), first) : safety_verdict{});
}

void device::check_ring_domain(const engine::step_signals& s) noexcept {
  const std::span<const float> mu = s.ring->mu_v_exc_mV();
  std::uint32_t out = 0;
  float highest = -1e30f;
  const auto bound = static_cast<float>(params_.ring_max_mu_v_mV);
  for (const float m : mu) {
    highest = std::max(highest, m);
    out += m > bound ? 1u : 0u;
  }
  ring_out_of_domain_ = out;
  ring_max_mu_v_ = highest;
  domain_edge(out > 0, ring_was_out_, s.step_index, {safety_limit::model_domain, highest, params_.ring_max_mu_v_mV});
}

void device::push_event(const safety_event& e) noexcept {
  ++events_total_;
  if (n_tick_events_ < kMaxTickEvents) tick_events_[n_tick_events_++] = e;
  else ++events_dropped_;
}

void device::collect_events() noexcept {
  for (const safety_event& e : stim_.events()) push_event(e);
  stim_.clear_events();
}

void device::finish_tick(device_readout& out) noexcept {
  const double steps = static_cast<double>(std::max<std::int64_t>(steps_in_tick_, 1));
  const double dt_ms = static_cast<double>(params_.layout.dt_us) / 1000.0;
  out.n_sensing = static_cast<std::uint32_t>(sensing_.size());
  out.n_electrodes = static_cast<std::uint32_t>(params_.layout.electrodes.size());
  for (std::size_t i = 0; i < sensing_.size(); ++i) {
    const sensed_sample& s = sensing_[i].last();
    out.sensing[i] = {s.signal, s.raw, s.filtered, s.rms, s.envelope, s.phase_rad, s.blanked};
  }
  for (std::size_t ch = 0; ch < stimulator::kChannels; ++ch) {
    device_readout::channel& c = out.channels[ch];
    const site_kind kind = stim_.channel_site(ch).kind;
    c.active = stim_.active(ch);
    c.site_kind = static_cast<std::uint8_t>(kind);
    c.mean_current = sum_current_[ch] / steps;
    c.peak_current = peak_current_[ch];
    // uA x ms = nC (electrode); pA x ms for a direct site.
    c.charge = sum_current_[ch] * dt_ms;
  }
  for (std::size_t e = 0; e < kMaxElectrodes; ++e) out.electrode_mean_uA[e] = sum_electrode_uA_[e] / steps;
  for (std::size_t i = 0; i < kMaxControllers; ++i)
    out.controllers[i] = active_[i] ? controllers_[i].status() : controller_status{};
  out.n_events = n_tick_events_;
  std::copy_n(tick_events_.begin(), n_tick_events_, out.events.begin());
  out.events_total = events_total_;
  out.events_dropped = events_dropped_;
  out.ring_units_out_of_domain = ring_out_of_domain_;
  out.ring_max_mu_v_mV = ring_max_mu_v_;
  sum_current_.fill(0.0);
  peak_current_.fill(0.0);
  sum_electrode_uA_.fill(0.0);
  steps_in_tick_ = 0;
  n_tick_events_ = 0;
}

}  // namespace cortexloop::firmware_sim
