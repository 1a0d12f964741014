#include "engine/meanfield/ring.hpp"

#include <algorithm>
#include <cmath>

#include "engine/units.hpp"

namespace cortexloop::engine::meanfield {

ring::ring(const ring_params& rp, const meanfield_params& mf, const network_params& net, double network_dt_ms)
    : p_(rp),
      mf_(mf),
      k_(input_counts::from(net)),
      tf_exc_(cell_synapses::from(net.exc, net), mf.exc, mf.moments, network_dt_ms),
      tf_inh_(cell_synapses::from(net.inh, net), mf.inh, mf.moments, network_dt_ms),
      cell_exc_(net.exc),
      cell_inh_(net.inh),
      n_(static_cast<std::size_t>(rp.n_units)),
      dx_mm_(rp.length_mm / static_cast<double>(rp.n_units)),
      dt_ms_(rp.dt_ms),
      drive_Hz_(net.drive.rate_Hz),
      // back = 1 (the rates of this step, pushed first): the Zerlaut units have no delay of their own.
      coupling_exc_(n_, rp.length_mm, rp.l_exc_mm, rp.kernel_extent_sd, rp.velocity_mm_per_s, rp.dt_ms, 1),
      coupling_inh_(n_, rp.length_mm, rp.l_inh_mm, rp.kernel_extent_sd, rp.velocity_mm_per_s, rp.dt_ms, 1),
      currents_(rp.currents, n_, rp.length_mm),
      average_(n_) {
  for (auto* v : {&nu_e_, &nu_i_, &w_e_, &w_i_, &mu_e_, &mu_i_, &vsdi_, &lat_e_, &lat_i_, &fe_e_, &fe_i_, &fi_, &i_e_,
                  &i_i_, &f_e_, &f_i_})
    v->assign(n_, 0.0f);
  aff_profiles_.assign(rp.afferent.size() * n_, 0.0f);
  for (std::size_t s = 0; s < rp.afferent.size(); ++s)
    ring_gaussian_profile({aff_profiles_.data() + s * n_, n_}, rp.length_mm, rp.afferent[s].position_mm,
                          rp.afferent[s].width_mm, rp.afferent[s].amplitude_Hz);

  // The homogeneous fixed point, with the same float transfer functions as the steps (a unit whose lateral
  // input is its own rate), as the initial state and the VSDi's rest.
  {
    float ne = 0, ni = 0, we = 0, wi = 0, fe, fi, fe_in, fi_in, fe_inh_in, zero = 0, fre, fri, me = 0, mi = 0;
    const float drive_fe = static_cast<float>(k_.k_drive * drive_Hz_);
    const double dt_over_t = dt_ms_ / mf_.t_ms;
    for (int k = 0; k < static_cast<int>(20000.0 / dt_ms_); ++k) {  // 20 s: W settles (tau_w 500 ms)
      fe_in = static_cast<float>(k_.k_exc) * ne + drive_fe;
      fi_in = static_cast<float>(k_.k_inh) * ni;
      fe_inh_in = fe_in;
      tf_exc_.rate_Hz_batch(&fe_in, &fi_in, &we, &zero, &fre, &me, 1, drive_fe);
      tf_inh_.rate_Hz_batch(&fe_inh_in, &fi_in, &wi, &zero, &fri, &mi, 1, drive_fe);
      fe = fre;
      fi = fri;
      if (mf_.adaptation) {
        we += static_cast<float>(dt_ms_ * (-we / cell_exc_.tau_w_ms + cell_exc_.b_pA * ne / kMsPerS +
                                           cell_exc_.a_nS * (me - cell_exc_.e_l_mV) / cell_exc_.tau_w_ms));
        wi += static_cast<float>(dt_ms_ * (-wi / cell_inh_.tau_w_ms + cell_inh_.b_pA * ni / kMsPerS +
                                           cell_inh_.a_nS * (mi - cell_inh_.e_l_mV) / cell_inh_.tau_w_ms));
      }
      ne += static_cast<float>(dt_over_t) * (fe - ne);
      ni += static_cast<float>(dt_over_t) * (fi - ni);
    }
    rest_nu_e_ = ne, rest_nu_i_ = ni, rest_w_e_ = we, rest_w_i_ = wi, rest_mu_e_ = me, rest_mu_i_ = mi;
  }
  std::fill(nu_e_.begin(), nu_e_.end(), static_cast<float>(rest_nu_e_));
  std::fill(nu_i_.begin(), nu_i_.end(), static_cast<float>(rest_nu_i_));
  std::fill(w_e_.begin(), w_e_.end(), static_cast<float>(rest_w_e_));
  std::fill(w_i_.begin(), w_i_.end(), static_cast<float>(rest_w_i_));
  std::fill(mu_e_.begin(), mu_e_.end(), rest_mu_e_);
  std::fill(mu_i_.begin(), mu_i_.end(), rest_mu_i_);
  coupling_exc_.fill(static_cast<float>(rest_nu_e_));
  coupling_inh_.fill(static_cast<float>(rest_nu_i_));
  average_.reset(static_cast<float>(rest_nu_e_), static_cast<float>(rest_nu_i_));  // the readout starts at rest
}

void ring::step(double t_ms, std::span<const float> external_exc_pA, std::span<const float> external_inh_pA) noexcept {
  // Phases: (1) this step's rates enter the delay lines; (2) lateral inputs from the delayed rates;
  // (3) afferent and current inputs at t; (4) transfer functions; (5) Euler update of rates and W;
  // (6) readouts (VSDi from this step's mu_V) and tick averages. Phase (4) also counts the units whose mu_V lay
  // outside the transfer function's fitted domain, below E_inh or above max_mu_v_mV, where it is read at the edge.
  coupling_exc_.push(nu_e_);
  coupling_inh_.push(nu_i_);
  coupling_exc_.lateral(1, lat_e_);
  coupling_inh_.lateral(1, lat_i_);

  const float ke = static_cast<float>(k_.k_exc), ki = static_cast<float>(k_.k_inh);
  const float drive_fe = static_cast<float>(k_.k_drive * drive_Hz_);
  for (std::size_t i = 0; i < n_; ++i) {
    fe_i_[i] = ke * lat_e_[i] + drive_fe;
    fe_e_[i] = fe_i_[i];
    fi_[i] = ki * lat_i_[i];
  }
  for (std::size_t s = 0; s < p_.afferent.size(); ++s) {
    const afferent_stimulus& a = p_.afferent[s];
    const double sd = t_ms < a.peak_ms ? a.rise_ms : a.decay_ms, x = (t_ms - a.peak_ms) / sd;
    if (x * x > 100.0) continue;  // below e^-50 of the peak
    const float g = static_cast<float>(std::exp(-0.5 * x * x)) * ke;
    const float* prof = aff_profiles_.data() + s * n_;
    for (std::size_t i = 0; i < n_; ++i) fe_e_[i] += g * prof[i];
  }
  currents_.currents_pA(t_ms, external_exc_pA, external_inh_pA, i_e_, i_i_);

  tf_exc_.rate_Hz_batch(fe_e_.data(), fi_.data(), w_e_.data(), i_e_.data(), f_e_.data(), mu_e_.data(), n_, drive_fe);
  tf_inh_.rate_Hz_batch(fe_i_.data(), fi_.data(), w_i_.data(), i_i_.data(), f_i_.data(), mu_i_.data(), n_, drive_fe);
  {
    const float min_e = static_cast<float>(tf_exc_.fitted_domain_min_mu_v_mV());
    const float min_i = static_cast<float>(tf_inh_.fitted_domain_min_mu_v_mV());
    const float max_e = static_cast<float>(tf_exc_.fitted_domain_max_mu_v_mV());
    const float max_i = static_cast<float>(tf_inh_.fitted_domain_max_mu_v_mV());
    std::int64_t below = 0, above = 0, held = 0;
    // | on ints, not || on bools: no branch in the loop (and clang warns on | between bools).
    for (std::size_t i = 0; i < n_; ++i) {
      const int b = static_cast<int>(mu_e_[i] < min_e) | static_cast<int>(mu_i_[i] < min_i);
      const int a = static_cast<int>(mu_e_[i] > max_e) | static_cast<int>(mu_i_[i] > max_i);
      below += b;
      above += a;
      held += b | a;
    }
    below_e_inh_ += below;
    above_max_ += above;
    held_ += held;
  }

  const float dt_over_t = static_cast<float>(dt_ms_ / mf_.t_ms);
  if (mf_.adaptation) {
    // dW/dt = -W/tau_w + b nu + a (mu_V - E_L)/tau_w
    const float dt = static_cast<float>(dt_ms_);
    const float inv_tw_e = static_cast<float>(1.0 / cell_exc_.tau_w_ms), inv_tw_i = static_cast<float>(1.0 / cell_inh_.tau_w_ms);
    const float b_e = static_cast<float>(cell_exc_.b_pA / kMsPerS), b_i = static_cast<float>(cell_inh_.b_pA / kMsPerS);
    const float a_e = static_cast<float>(cell_exc_.a_nS / cell_exc_.tau_w_ms), a_i = static_cast<float>(cell_inh_.a_nS / cell_inh_.tau_w_ms);
    const float el_e = static_cast<float>(cell_exc_.e_l_mV), el_i = static_cast<float>(cell_inh_.e_l_mV);
    for (std::size_t i = 0; i < n_; ++i) {
      w_e_[i] += dt * (-w_e_[i] * inv_tw_e + b_e * nu_e_[i] + a_e * (mu_e_[i] - el_e));
      w_i_[i] += dt * (-w_i_[i] * inv_tw_i + b_i * nu_i_[i] + a_i * (mu_i_[i] - el_i));
    }
  }
  float check = 0.0f;
  for (std::size_t i = 0; i < n_; ++i) {
    nu_e_[i] += dt_over_t * (f_e_[i] - nu_e_[i]);
    nu_i_[i] += dt_over_t * (f_i_[i] - nu_i_[i]);
    check += nu_e_[i] + nu_i_[i] + w_e_[i] + w_i_[i];
  }
  if (!std::isfinite(check)) {
    // Not expected (F is finite and bounded); if it happens, the unit goes back to rest and is counted.
    for (std::size_t i = 0; i < n_; ++i) {
      if (std::isfinite(nu_e_[i] + nu_i_[i] + w_e_[i] + w_i_[i])) continue;
      nu_e_[i] = static_cast<float>(rest_nu_e_), nu_i_[i] = static_cast<float>(rest_nu_i_);
      w_e_[i] = static_cast<float>(rest_w_e_), w_i_[i] = static_cast<float>(rest_w_i_);
      ++diverged_;
    }
  }
  vsdi_from_mu_v(mu_e_.data(), mu_i_.data(), rest_mu_e_, rest_mu_i_, vsdi_.data(), n_);
  average_.add(nu_e_.data(), nu_i_.data(), vsdi_.data());
}

void ring::finish_average() noexcept { average_.finish(); }

}  // namespace cortexloop::engine::meanfield
