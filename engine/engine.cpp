#include "engine/engine.hpp"
#include "engine/network/steps_network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cortexloop::engine {

std::int64_t steps_per_tick(const simulation_params& p) {
  const double ratio = p.tick_ms / p.dt_ms;
  const auto steps = static_cast<std::int64_t>(std::llround(ratio));
  if (steps < 1 || std::fabs(ratio - static_cast<double>(steps)) > 1e-9 * ratio)
    throw std::invalid_argument("simulation.tick_ms must be a whole number of simulation.dt_ms steps");
  return steps;
}

namespace {
// A ring run alone steps no spiking network, so it builds an empty one (every accessor stays valid) instead
// of the configured 10k cells and their 5 M synapses. The ring still reads its cell parameters from p.network.
network_params network_to_build(const engine_params& p) {
  network_params n = p.network;
  if (p.ring && !p.ring->with_network) n.n_neurons = 0;
  return n;
}
}  // namespace

engine::engine(const engine_params& p, process_exchange* across)
    : params_(p),
      dt_ms_(p.simulation.dt_ms),
      steps_per_tick_(cortexloop::engine::steps_per_tick(p.simulation)),
      net_(network_to_build(p), p.simulation.dt_ms, p.simulation.seed, p.simulation.threads, -1, across),
      stimuli_(p.stimuli, p.simulation.dt_ms) {
  if (p.ring) {
    if (p.ring->model == meanfield::ring_model::zerlaut) {
      if (!p.meanfield) throw std::invalid_argument("engine: a [ring] of Zerlaut units needs [meanfield]");
      ring_.emplace(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
    }
    steps_per_ring_step_ = std::llround(p.ring->dt_ms / p.simulation.dt_ms);
  }
  run_network_ = steps_network(p);
  if (p.aln) {
    if (!p.aln->table)
      throw std::invalid_argument("engine: the [aln] node has no cascade table: load it at start-up "
                                  "(io::attach_aln_table, io/aln_cache) before building the engine");
    if (!(p.aln->table->neuron == p.aln->neuron))
      throw std::invalid_argument("engine: the [aln] node's cascade table was made for another neuron than "
                                  "[aln.neuron]: load the table of this neuron (io::attach_aln_table)");
    aln_table_ = p.aln->table;
    aln_.emplace(p.aln->model, *aln_table_, p.simulation.dt_ms);  // validates the model and its delays
  }
  if (p.ring && p.ring->model == meanfield::ring_model::aln) {
    if (!aln_table_) throw std::invalid_argument("engine: a [ring] of ALN units (model = \"aln\") needs [aln]");
    aln_ring_.emplace(*p.ring, p.aln->model, *aln_table_);
  }
  // Across processes with delays: one spike exchange per batch of steps, the longest batch the delays allow whose
  // length divides the tick, so that every tick ends a batch and its readouts are complete at its end.
  if (across) {
    std::int64_t steps = std::min<std::int64_t>(net_.max_exchange_steps(), steps_per_tick_);
    while (steps_per_tick_ % steps != 0) --steps;
    net_.set_exchange_steps(static_cast<std::uint32_t>(steps));
  }
  const auto capacity = static_cast<std::size_t>(net_.n_neurons()) * static_cast<std::size_t>(steps_per_tick_);
  spike_steps_.resize(capacity);
  spike_neurons_.resize(capacity);
}

void engine::tick(tick_readout& out) noexcept {
  network_counts counts;
  double stim_exc = 0, stim_inh = 0;
  double aln_rate_e = 0, aln_rate_i = 0, aln_v = 0, aln_w = 0;
  // The units' counters only grow: the tick's counts are their differences over the tick (read once, not per step).
  const std::int64_t aln_diverged_before = aln_ ? aln_->diverged() : 0;
  const std::int64_t aln_outside_before = aln_ ? aln_->out_of_table() : 0;
  const std::int64_t ring_outside_before =
      aln_ring_ ? aln_ring_->out_of_table() : ring_ ? ring_->unit_steps_outside_fit() : 0;
  std::size_t n_logged = 0;
  for (std::int64_t k = 0; k < steps_per_tick_; ++k, ++step_) {
    const double t_ms = static_cast<double>(step_) * dt_ms_;
    float i_exc = stimuli_.current_pA(population::exc, t_ms);
    float i_inh = stimuli_.current_pA(population::inh, t_ms);
    if (external_) {
      const population_currents extra = external_->currents_pA(step_);
      i_exc += extra.exc_pA;
      i_inh += extra.inh_pA;
    }
    stim_exc += i_exc;
    stim_inh += i_inh;
    const std::int64_t spikes_exc_before = counts.spikes_exc, spikes_inh_before = counts.spikes_inh;
    if (run_network_) net_.step(step_, i_exc, i_inh, counts);
    // The ALN node sits where the network does: the same population currents (pA per cell), mu += I / C.
    if (aln_) {
      aln_->step(i_exc, i_inh);
      aln_rate_e += aln_->rate_e_Hz();
      aln_rate_i += aln_->rate_i_Hz();
      aln_v += aln_->v_mean_e_mV();
      aln_w += aln_->state().i_a_pA;
    }
    // The ring steps once its network steps are done, from the start of its interval, so an external source
    // can give it the mean current of exactly those steps (a pulse shorter than a ring step keeps its charge).
    const bool ring_steps = (ring_ || aln_ring_) && (step_ + 1) % steps_per_ring_step_ == 0;
    if (ring_steps) {
      const double t_ring_ms = static_cast<double>(step_ + 1 - steps_per_ring_step_) * dt_ms_;
      const ring_currents extra = external_ ? external_->ring_currents_pA(t_ring_ms) : ring_currents{};
      if (ring_) ring_->step(t_ring_ms, extra.exc_pA, extra.inh_pA);
      if (aln_ring_) aln_ring_->step(t_ring_ms, extra.exc_pA, extra.inh_pA);
    }
    if (observe_) {
      step_signals s;
      s.step_index = step_;
      s.spikes_exc = counts.spikes_exc - spikes_exc_before;
      s.spikes_inh = counts.spikes_inh - spikes_inh_before;
      s.net = run_network_ ? &net_ : nullptr;
      s.ring = ring_ ? &*ring_ : nullptr;
      s.aln_ring = aln_ring_ ? &*aln_ring_ : nullptr;
      s.aln = aln_ ? &*aln_ : nullptr;
      // Both ring models offer the same views; a config has at most one of them.
      auto latest = [&s](const auto& r) {
        s.ring_vsdi_percent = r.vsdi_percent();
        s.ring_rates_exc_Hz = r.rates_exc_Hz();
        s.ring_rates_inh_Hz = r.rates_inh_Hz();
      };
      if (ring_) latest(*ring_);
      if (aln_ring_) latest(*aln_ring_);
      s.ring_stepped = ring_steps;
      external_->observe(s);
    }
    if (record_spikes_) {
      net_.for_each_new_spike([&](std::int64_t step, std::uint32_t neuron) {
        spike_steps_[n_logged] = step;
        spike_neurons_[n_logged] = neuron;
        ++n_logged;
      });
    }
  }
  const double steps = static_cast<double>(steps_per_tick_);
  const double tick_s = steps * dt_ms_ / 1000.0;
  // Rates count the tick's spikes; V, w and the LFP proxy are sampled at the end of the tick (the state
  // sums are O(N), too costly for every step).
  // A population without cells reads 0 in each field (docs/protocol.md, "Readout"), its injected current too: an
  // electrode's field coupling onto it reached no cell and read as delivered (an outside audit, 2026-12-07). Unless
  // the [aln] node or a ring runs, which receive the population currents: then it is the current they receive.
  const bool stim_received = aln_ || ring_ || aln_ring_;
  auto fill = [&](population_readout& r, std::int64_t spikes, const adex_state_sums& s, std::uint32_t cells,
                  double stim) {
    const double n = std::max<double>(cells, 1);
    r.spikes = spikes;
    r.rate_Hz = cells > 0 ? static_cast<double>(spikes) / (cells * tick_s) : 0.0;
    r.mean_v_mV = s.v_mV / n;
    r.mean_w_pA = s.w_pA / n;
    r.i_stim_pA = cells > 0 || stim_received ? stim / steps : 0.0;
  };
  // across processes: of all of them. Without cells (the ALN node or the ring alone) there is nothing to sum, and the
  // workers' fork-join and its clock reads would be most of such a tick's cost.
  const network_sums sums = net_.n_neurons() > 0 ? net_.readout_sums(counts.diverged) : network_sums{};
  fill(out.exc, counts.spikes_exc, sums.exc, net_.n_exc(), stim_exc);
  fill(out.inh, counts.spikes_inh, sums.inh, net_.n_inh(), stim_inh);
  out.lfp_proxy_nA = sums.exc.abs_syn_pA / 1000.0;
  out.diverged = sums.diverged;
  out.tick = tick_++;
  out.t_ms = static_cast<double>(step_) * dt_ms_;
  out.spike_steps = {spike_steps_.data(), n_logged};
  out.spike_neurons = {spike_neurons_.data(), n_logged};
  if (aln_) {
    const double inv_steps = 1.0 / steps;
    out.aln = {.present = true, .rate_e_Hz = aln_rate_e * inv_steps, .rate_i_Hz = aln_rate_i * inv_steps,
               .v_mean_e_mV = aln_v * inv_steps, .i_a_pA = aln_w * inv_steps,
               .diverged = aln_->diverged() - aln_diverged_before,
               .out_of_table = aln_->out_of_table() - aln_outside_before};
  }
  auto tick_average = [&out](auto& r) {
    r.finish_average();
    out.ring_rates_exc_Hz = r.average_rates_exc_Hz();
    out.ring_rates_inh_Hz = r.average_rates_inh_Hz();
    out.vsdi_percent = r.average_vsdi_percent();
  };
  if (ring_) tick_average(*ring_);
  if (aln_ring_) tick_average(*aln_ring_);
  out.ring_out_of_table = aln_ring_ ? aln_ring_->out_of_table() - ring_outside_before
                         : ring_  ? ring_->unit_steps_outside_fit() - ring_outside_before
                                  : 0;
}

}  // namespace cortexloop::engine
