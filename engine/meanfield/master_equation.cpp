#include "engine/meanfield/master_equation.hpp"

#include <algorithm>
#include <cmath>

#include "engine/units.hpp"

namespace cortexloop::engine::meanfield {

namespace {
// Step of the central differences, in Hz of per-synapse rate: large enough that rounding (~1e-16 F / h^2
// for the second derivative) stays below 1e-8, small enough that truncation (h^2 F'''') is negligible.
constexpr double kDiffStep_Hz = 1e-3;

// F and its first and second derivatives in (nu_e, nu_i) by central differences.
struct rate_derivatives {
  double f, de, di, dee, dei, dii;
};

template <class RateFn>
rate_derivatives differentiate(RateFn&& rate, double nu_e, double nu_i) noexcept {
  const double h = kDiffStep_Hz;
  const double f = rate(nu_e, nu_i);
  const double fep = rate(nu_e + h, nu_i), fem = rate(nu_e - h, nu_i);
  const double fip = rate(nu_e, nu_i + h), fim = rate(nu_e, nu_i - h);
  const double fpp = rate(nu_e + h, nu_i + h), fpm = rate(nu_e + h, nu_i - h);
  const double fmp = rate(nu_e - h, nu_i + h), fmm = rate(nu_e - h, nu_i - h);
  return {f,
          (fep - fem) / (2 * h),
          (fip - fim) / (2 * h),
          (fep - 2 * f + fem) / (h * h),
          (fpp - fpm - fmp + fmm) / (4 * h * h),
          (fip - 2 * f + fim) / (h * h)};
}

bool finite(const meanfield_state& s) noexcept {
  return std::isfinite(s.nu_e_Hz) && std::isfinite(s.nu_i_Hz) && std::isfinite(s.c_ee_Hz2) &&
         std::isfinite(s.c_ei_Hz2) && std::isfinite(s.c_ii_Hz2) && std::isfinite(s.w_exc_pA) &&
         std::isfinite(s.w_inh_pA);
}
}  // namespace

input_counts input_counts::from(const network_params& net) {
  const auto n_e = static_cast<double>(net.n_exc()), n_i = static_cast<double>(net.n_inh());
  return {net.p_connect * n_e, net.p_connect * n_i, net.drive.k_exc, n_e, n_i};
}

master_equation::master_equation(const meanfield_params& mf, const network_params& net, double network_dt_ms)
    : p_(mf),
      k_(input_counts::from(net)),
      tf_exc_(cell_synapses::from(net.exc, net), mf.exc, mf.moments, network_dt_ms),
      tf_inh_(cell_synapses::from(net.inh, net), mf.inh, mf.moments, network_dt_ms),
      cell_exc_(net.exc),
      cell_inh_(net.inh) {}

double master_equation::rate_exc_Hz(double nu_e, double nu_i, const meanfield_inputs& in) const noexcept {
  return tf_exc_.rate_Hz(k_.k_exc * (nu_e + in.afferent_Hz) + k_.k_drive * in.drive_Hz, k_.k_inh * nu_i, s_.w_exc_pA,
                         in.i_exc_pA, k_.k_drive * in.drive_Hz);
}

double master_equation::rate_inh_Hz(double nu_e, double nu_i, const meanfield_inputs& in) const noexcept {
  return tf_inh_.rate_Hz(k_.k_exc * nu_e + k_.k_drive * in.drive_Hz, k_.k_inh * nu_i, s_.w_inh_pA, in.i_inh_pA,
                         k_.k_drive * in.drive_Hz);
}

moments master_equation::moments_exc(const meanfield_inputs& in) const noexcept {
  return tf_exc_.compute_moments(k_.k_exc * (s_.nu_e_Hz + in.afferent_Hz) + k_.k_drive * in.drive_Hz,
                                 k_.k_inh * s_.nu_i_Hz, s_.w_exc_pA, in.i_exc_pA, k_.k_drive * in.drive_Hz);
}

moments master_equation::moments_inh(const meanfield_inputs& in) const noexcept {
  return tf_inh_.compute_moments(k_.k_exc * s_.nu_e_Hz + k_.k_drive * in.drive_Hz, k_.k_inh * s_.nu_i_Hz,
                                 s_.w_inh_pA, in.i_inh_pA, k_.k_drive * in.drive_Hz);
}

void master_equation::step(double dt_ms, const meanfield_inputs& in) noexcept { step_order(p_.order, dt_ms, in); }

void master_equation::step_order(int order, double dt_ms, const meanfield_inputs& in) noexcept {
  const meanfield_state s = s_;
  const double t = p_.t_ms, inv_t_Hz = kMsPerS / t, dt_over_t = dt_ms / t;
  meanfield_state next = s;
  if (order == 1) {
    const double fe = rate_exc_Hz(s.nu_e_Hz, s.nu_i_Hz, in), fi = rate_inh_Hz(s.nu_e_Hz, s.nu_i_Hz, in);
    next.nu_e_Hz += dt_over_t * (fe - s.nu_e_Hz);
    next.nu_i_Hz += dt_over_t * (fi - s.nu_i_Hz);
  } else {
    const auto e = differentiate([&](double x, double y) { return rate_exc_Hz(x, y, in); }, s.nu_e_Hz, s.nu_i_Hz);
    const auto i = differentiate([&](double x, double y) { return rate_inh_Hz(x, y, in); }, s.nu_e_Hz, s.nu_i_Hz);
    const double cee = s.c_ee_Hz2, cei = s.c_ei_Hz2, cii = s.c_ii_Hz2;
    // T dnu_a/dt = F_a - nu_a + 1/2 (c_ee F_a,ee + 2 c_ei F_a,ei + c_ii F_a,ii)
    next.nu_e_Hz += dt_over_t * (e.f - s.nu_e_Hz + 0.5 * (cee * e.dee + 2 * cei * e.dei + cii * e.dii));
    next.nu_i_Hz += dt_over_t * (i.f - s.nu_i_Hz + 0.5 * (cee * i.dee + 2 * cei * i.dei + cii * i.dii));
    // T dc_ee/dt = F_e (1/T - F_e)/N_e + (F_e - nu_e)^2 + 2 c_ee F_e,e + 2 c_ei F_e,i - 2 c_ee
    next.c_ee_Hz2 += dt_over_t * (e.f * (inv_t_Hz - e.f) / k_.n_exc + (e.f - s.nu_e_Hz) * (e.f - s.nu_e_Hz) +
                                  2 * cee * e.de + 2 * cei * e.di - 2 * cee);
    // T dc_ei/dt = (F_e - nu_e)(F_i - nu_i) + c_ee F_i,e + c_ei F_e,e + c_ei F_i,i + c_ii F_e,i - 2 c_ei
    next.c_ei_Hz2 += dt_over_t * ((e.f - s.nu_e_Hz) * (i.f - s.nu_i_Hz) + cee * i.de + cei * e.de + cei * i.di +
                                  cii * e.di - 2 * cei);
    // T dc_ii/dt = F_i (1/T - F_i)/N_i + (F_i - nu_i)^2 + 2 c_ei F_i,e + 2 c_ii F_i,i - 2 c_ii
    next.c_ii_Hz2 += dt_over_t * (i.f * (inv_t_Hz - i.f) / k_.n_inh + (i.f - s.nu_i_Hz) * (i.f - s.nu_i_Hz) +
                                  2 * cei * i.de + 2 * cii * i.di - 2 * cii);
  }
  if (p_.adaptation) {
    // dW/dt = -W/tau_w + b nu + a (mu_V - E_L)/tau_w   (b nu: pA * Hz -> pA/ms with 1/1000)
    const moments me = moments_exc(in), mi = moments_inh(in);
    next.w_exc_pA += dt_ms * (-s.w_exc_pA / cell_exc_.tau_w_ms + cell_exc_.b_pA * s.nu_e_Hz / kMsPerS +
                              cell_exc_.a_nS * (me.mu_v_mV - cell_exc_.e_l_mV) / cell_exc_.tau_w_ms);
    next.w_inh_pA += dt_ms * (-s.w_inh_pA / cell_inh_.tau_w_ms + cell_inh_.b_pA * s.nu_i_Hz / kMsPerS +
                              cell_inh_.a_nS * (mi.mu_v_mV - cell_inh_.e_l_mV) / cell_inh_.tau_w_ms);
  }
  // Rates are non-negative; a covariance step that would make the rate negative is clipped there.
  next.nu_e_Hz = std::max(next.nu_e_Hz, 0.0);
  next.nu_i_Hz = std::max(next.nu_i_Hz, 0.0);
  if (!finite(next)) {
    // Far from a fixed point, where the slope of F exceeds 1, the second-order covariance equations grow
    // without bound. Count it, drop the covariances and go on from the last finite rates.
    ++diverged_;
    next = s;
    next.c_ee_Hz2 = next.c_ei_Hz2 = next.c_ii_Hz2 = 0.0;
  }
  s_ = next;
}

void master_equation::settle(const meanfield_inputs& in, double duration_ms, double dt_ms) noexcept {
  // The second order is an expansion about a fixed point: from far away (e.g. all rates zero) its transient
  // can leave the region where it holds. So the first half is first order (covariances zero), the second
  // half the configured order.
  const auto steps = static_cast<std::int64_t>(duration_ms / dt_ms);
  for (std::int64_t k = 0; k < steps; ++k) step_order(k < steps / 2 ? 1 : p_.order, dt_ms, in);
  const meanfield_readout r = readout(in);
  set_rest_mV(r.mu_v_exc_mV, r.mu_v_inh_mV);
}

meanfield_readout master_equation::readout(const meanfield_inputs& in) const noexcept {
  const meanfield_state& s = s_;
  const moments me = moments_exc(in), mi = moments_inh(in);
  const double vsdi = 100.0 * (0.8 * (me.mu_v_mV - rest_exc_mV_) / std::fabs(rest_exc_mV_) +
                               0.2 * (mi.mu_v_mV - rest_inh_mV_) / std::fabs(rest_inh_mV_));
  return {s.nu_e_Hz, s.nu_i_Hz, s.c_ee_Hz2, s.c_ei_Hz2, s.c_ii_Hz2, s.w_exc_pA,
          s.w_inh_pA, me.mu_v_mV, mi.mu_v_mV, vsdi};
}

}  // namespace cortexloop::engine::meanfield
