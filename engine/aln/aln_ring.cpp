#include "engine/aln/aln_ring.hpp"

#include <algorithm>
#include <cmath>

#include "engine/units.hpp"

namespace cortexloop::engine::aln {

aln_initial settled_initial(const aln_params& p, const cascade_table& table, double dt_ms, double settle_ms) {
  aln_model node(p, table, dt_ms);
  const auto steps = std::max<std::int64_t>(1, std::llround(settle_ms / dt_ms));
  for (std::int64_t k = 0; k < steps; ++k) node.step(0.0, 0.0);
  return {node.state(), node.rate_e_Hz(), node.rate_i_Hz()};
}

namespace {
// The VSDi's rest: V_mean of each population at the initial state, one step of a node from it with its own rates
// (the table's V at the state the units start from).
void rest_voltages(const aln_params& p, const cascade_table& table, double dt_ms, const aln_initial& init,
                   float& v_e, float& v_i) {
  aln_model node(p, table, dt_ms, init);
  node.step(0.0, 0.0);
  v_e = static_cast<float>(node.v_mean_e_mV());
  v_i = static_cast<float>(node.v_mean_i_mV());
}
}  // namespace

aln_ring::aln_ring(const meanfield::ring_params& rp, const aln_params& p, const cascade_table& table)
    : n_(static_cast<std::size_t>(rp.n_units)),
      dt_ms_(rp.dt_ms),
      dx_mm_(rp.length_mm / static_cast<double>(rp.n_units)),
      init_(settled_initial(p, table, rp.dt_ms, default_settle_ms(p))),
      coupling_exc_(n_, rp.length_mm, rp.l_exc_mm, rp.kernel_extent_sd, rp.velocity_mm_per_s, rp.dt_ms,
                    delay_steps_of(p.delay_e_ms, rp.dt_ms) + 1),
      coupling_inh_(n_, rp.length_mm, rp.l_inh_mm, rp.kernel_extent_sd, rp.velocity_mm_per_s, rp.dt_ms,
                    delay_steps_of(p.delay_i_ms, rp.dt_ms) + 1),
      currents_(rp.currents, n_, rp.length_mm),
      average_(n_) {
  rest_voltages(p, table, dt_ms_, init_, rest_v_e_, rest_v_i_);
  units_.reserve(n_);
  for (std::size_t i = 0; i < n_; ++i) units_.emplace_back(p, table, dt_ms_, init_);  // validates p and the delays
  back_e_ = units_.front().delay_e_steps() + 1;
  back_i_ = units_.front().delay_i_steps() + 1;
  coupling_exc_.fill(init_.rate_e_Hz);
  coupling_inh_.fill(init_.rate_i_Hz);
  for (auto* v : {&lat_e_, &lat_i_, &r_e_, &r_i_}) v->assign(n_, 0.0);
  for (auto* v : {&i_e_, &i_i_, &r_e_f_, &r_i_f_, &v_e_, &v_i_, &vsdi_}) v->assign(n_, 0.0f);
  // Before the first step: the initial rates, V at rest (VSDi 0).
  std::fill(r_e_f_.begin(), r_e_f_.end(), static_cast<float>(init_.rate_e_Hz));
  std::fill(r_i_f_.begin(), r_i_f_.end(), static_cast<float>(init_.rate_i_Hz));
  std::fill(v_e_.begin(), v_e_.end(), rest_v_e_);
  std::fill(v_i_.begin(), v_i_.end(), rest_v_i_);
  average_.reset(static_cast<float>(init_.rate_e_Hz), static_cast<float>(init_.rate_i_Hz));
}

void aln_ring::step(double t_ms, std::span<const float> external_exc_pA, std::span<const float> external_inh_pA) noexcept {
  // Phases: (1) lateral rates from the delay lines (each unit's synaptic delay + the distance delays); (2) the
  // currents at t; (3) every unit steps; (4) its new rates enter the delay lines; (5) readouts and tick averages.
  coupling_exc_.lateral(back_e_, lat_e_);
  coupling_inh_.lateral(back_i_, lat_i_);
  currents_.currents_pA(t_ms, external_exc_pA, external_inh_pA, i_e_, i_i_);
  for (std::size_t x = 0; x < n_; ++x) {
    aln_model& u = units_[x];
    u.step_with_rates(i_e_[x], i_i_[x], lat_e_[x], lat_i_[x]);
    r_e_[x] = u.rate_e_Hz();
    r_i_[x] = u.rate_i_Hz();
    r_e_f_[x] = static_cast<float>(r_e_[x]);
    r_i_f_[x] = static_cast<float>(r_i_[x]);
    v_e_[x] = static_cast<float>(u.v_mean_e_mV());
    v_i_[x] = static_cast<float>(u.v_mean_i_mV());
  }
  coupling_exc_.push(r_e_);
  coupling_inh_.push(r_i_);
  meanfield::vsdi_from_mu_v(v_e_.data(), v_i_.data(), rest_v_e_, rest_v_i_, vsdi_.data(), n_);
  average_.add(r_e_.data(), r_i_.data(), vsdi_.data());
}

void aln_ring::finish_average() noexcept { average_.finish(); }

std::int64_t aln_ring::diverged() const noexcept {
  std::int64_t n = 0;
  for (const aln_model& u : units_) n += u.diverged();
  return n;
}

std::int64_t aln_ring::out_of_table() const noexcept {
  std::int64_t n = 0;
  for (const aln_model& u : units_) n += u.out_of_table();
  return n;
}

}  // namespace cortexloop::engine::aln
