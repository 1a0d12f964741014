#include "engine/meanfield/transfer_function.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "engine/cpu/fast_exp.hpp"
#include "engine/units.hpp"

namespace cortexloop::engine::meanfield {

namespace {

// Normalisation of the threshold polynomial's variables (Zerlaut 2018 code), in mV.
constexpr double kMuV0 = -60.0, kDMuV0 = 10.0, kSigmaV0 = 4.0, kDSigmaV0 = 6.0, kTauVN0 = 0.5, kDTauVN0 = 1.0;
// Guards of the 2018 code: +1e-9 Hz on the rates before tau_V, +1e-12 V on sigma_V.
constexpr double kRateEpsilon_Hz = 1e-9, kSigmaEpsilon_mV = 1e-9;
// Input rates are clamped to [0, 1e9] Hz: far above any physiological input, far below overflow.
constexpr double kMaxInput_Hz = 1e9;

double clean_rate(double r) noexcept { return r >= 0.0 ? std::min(r, kMaxInput_Hz) : 0.0; }  // NaN -> 0
double clean_current(double i) noexcept { return std::isfinite(i) ? i : 0.0; }

// Coefficients reordered into the 11-term layout (ln term P4 zero for the 10-term form), scaled V -> mV.
std::array<double, kMaxThresholdTerms> as_11_terms_mV(const threshold_params& t) {
  std::array<double, kMaxThresholdTerms> c{};
  if (t.form == polynomial_form::zerlaut2018) {
    for (std::size_t k = 0; k < 11; ++k) c[k] = 1000.0 * t.p_V[k];
  } else {
    for (std::size_t k = 0; k < 4; ++k) c[k] = 1000.0 * t.p_V[k];
    for (std::size_t k = 4; k < 10; ++k) c[k + 1] = 1000.0 * t.p_V[k];
  }
  return c;
}

}  // namespace

cell_synapses cell_synapses::from(const adex_params& cell, const network_params& net) {
  return {cell.c_pF,     cell.g_l_nS,    cell.e_l_mV,   net.q_exc_nS, net.q_inh_nS,
          net.tau_exc_ms, net.tau_inh_ms, net.e_exc_mV, net.e_inh_mV};
}

std::size_t threshold_terms(const moments& m, const cell_synapses& c, polynomial_form form, double* out) noexcept {
  const double v = (m.mu_v_mV - kMuV0) / kDMuV0;
  const double s = (m.sigma_v_mV - kSigmaV0) / kDSigmaV0;
  const double t = (m.tau_vn - kTauVN0) / kDTauVN0;
  std::size_t k = 0;
  out[k++] = 1.0;
  out[k++] = v;
  out[k++] = s;
  out[k++] = t;
  if (form == polynomial_form::zerlaut2018) out[k++] = std::log(m.mu_g_nS / c.g_l_nS);
  out[k++] = v * v;
  out[k++] = s * s;
  out[k++] = t * t;
  out[k++] = v * s;
  out[k++] = v * t;
  out[k++] = s * t;
  return k;
}

transfer_function::transfer_function(const cell_synapses& cell, const threshold_params& threshold,
                                     moments_formula formula, double drive_step_ms)
    : cell_(cell), threshold_(threshold), formula_(formula), inh_factor_(1.0), drive_step_ms_(drive_step_ms) {
  if (formula == moments_formula::zerlaut2018) {
    // (Q_i U_i)^2 in SI in place of (tau_i U_i)^2: the term is scaled by (Q_i[S] / tau_i[s])^2.
    const double ratio = (cell.q_inh_nS * 1e-9) / (cell.tau_inh_ms * 1e-3);
    inh_factor_ = ratio * ratio;
  }
}

double transfer_function::drive_variance_loss(double fe_drive_Hz) const noexcept {
  // Of the drive's events per ms f, a fraction p = step f is missing from the variance (p (1 - p) vs p).
  const double p = std::clamp(clean_rate(fe_drive_Hz) * drive_step_ms_ / kMsPerS, 0.0, 1.0);
  return p * clean_rate(fe_drive_Hz) / kMsPerS;
}

moments transfer_function::compute_moments(double fe_Hz, double fi_Hz, double w_pA, double i_pA,
                                           double fe_drive_Hz) const noexcept {
  const cell_synapses& c = cell_;
  const double fe_mean = clean_rate(fe_Hz) / kMsPerS, fi = clean_rate(fi_Hz) / kMsPerS;  // events per ms
  moments m;
  const double mu_ge = c.q_exc_nS * c.tau_exc_ms * fe_mean;
  const double mu_gi = c.q_inh_nS * c.tau_inh_ms * fi;
  m.mu_g_nS = c.g_l_nS + mu_ge + mu_gi;
  m.mu_v_mV = (mu_ge * c.e_exc_mV + mu_gi * c.e_inh_mV + c.g_l_nS * c.e_l_mV - clean_current(w_pA) +
               clean_current(i_pA)) / m.mu_g_nS;
  return moments_at_mean(fe_Hz, fi_Hz, fe_drive_Hz, m, m.mu_v_mV);
}

moments transfer_function::moments_at_mean(double fe_Hz, double fi_Hz, double fe_drive_Hz, const moments& own,
                                           double mu_v_mV) const noexcept {
  const cell_synapses& c = cell_;
  const double fe_mean = clean_rate(fe_Hz) / kMsPerS, fi = clean_rate(fi_Hz) / kMsPerS;  // events per ms
  // Rate that carries the excitatory fluctuations (below fe_mean with a Bernoulli drive).
  const double fe = std::max(fe_mean - drive_variance_loss(fe_drive_Hz), 0.0);
  moments m = own;
  m.mu_v_mV = mu_v_mV;
  const double tau_m = c.c_pF / m.mu_g_nS;
  const double u_e = c.q_exc_nS * (c.e_exc_mV - m.mu_v_mV) / m.mu_g_nS;
  const double u_i = c.q_inh_nS * (c.e_inh_mV - m.mu_v_mV) / m.mu_g_nS;
  const double ue2 = u_e * c.tau_exc_ms * u_e * c.tau_exc_ms;
  const double ui2 = u_i * c.tau_inh_ms * u_i * c.tau_inh_ms * inh_factor_;
  const double var = fe * ue2 / (2.0 * (c.tau_exc_ms + tau_m)) + fi * ui2 / (2.0 * (c.tau_inh_ms + tau_m));
  m.sigma_v_mV = std::sqrt(std::max(var, 0.0)) + kSigmaEpsilon_mV;
  const double fe_eps = fe + kRateEpsilon_Hz / kMsPerS, fi_eps = fi + kRateEpsilon_Hz / kMsPerS;
  const double num = fe_eps * ue2 + fi_eps * ui2;
  const double den = fe_eps * ue2 / (c.tau_exc_ms + tau_m) + fi_eps * ui2 / (c.tau_inh_ms + tau_m);
  m.tau_v_ms = (num > 0.0 && den > 0.0 && std::isfinite(num / den)) ? num / den : c.tau_exc_ms + tau_m;
  m.tau_vn = m.tau_v_ms * c.g_l_nS / c.c_pF;
  return m;
}

double transfer_function::threshold_mV(const moments& m) const noexcept {
  double terms[kMaxThresholdTerms];
  const std::size_t n = threshold_terms(m, cell_, threshold_.form, terms);
  double v = 0.0;
  for (std::size_t k = 0; k < n; ++k) v += threshold_.p_V[k] * terms[k];
  return 1000.0 * v;  // P are in volts
}

moments transfer_function::fit_moments(const moments& own, double fe_Hz, double fi_Hz,
                                       double fe_drive_Hz) const noexcept {
  if (below_fitted_domain(own)) return moments_at_mean(fe_Hz, fi_Hz, fe_drive_Hz, own, fitted_domain_min_mu_v_mV());
  if (above_fitted_domain(own)) return moments_at_mean(fe_Hz, fi_Hz, fe_drive_Hz, own, fitted_domain_max_mu_v_mV());
  return own;
}

double transfer_function::rate_Hz(double fe_Hz, double fi_Hz, double w_pA, double i_pA,
                                  double fe_drive_Hz) const noexcept {
  // The threshold at the moments the fit is read at; the erfc with those but the inputs' own mean (the same
  // moments inside the fitted domain; transfer_function.hpp).
  const moments own = compute_moments(fe_Hz, fi_Hz, w_pA, i_pA, fe_drive_Hz);
  moments fit = fit_moments(own, fe_Hz, fi_Hz, fe_drive_Hz);
  const double v_eff_mV = threshold_mV(fit);
  fit.mu_v_mV = own.mu_v_mV;
  return rate_from_threshold_Hz(fit, v_eff_mV);
}

double transfer_function::rate_from_threshold_Hz(const moments& m, double v_eff_mV) noexcept {
  const double f = std::erfc((v_eff_mV - m.mu_v_mV) / (std::numbers::sqrt2 * m.sigma_v_mV)) / (2.0 * m.tau_v_ms) *
                   kMsPerS;
  return std::isfinite(f) ? f : 0.0;
}

namespace {

// ln(x) for x >= 1 (ln(mu_G / g_L)), vectorisable: x = m 2^e with m in [1, 2), ln m = 2 atanh(s),
// s = (m - 1)/(m + 1) <= 1/3, by its series to s^11 (relative error < 1e-7).
[[gnu::always_inline]] inline float log_ge1(float x) noexcept {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const float e = static_cast<float>(static_cast<std::int32_t>(bits >> 23) - 127);
  const float m = std::bit_cast<float>((bits & 0x007FFFFFu) | 0x3F800000u);
  const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  const float series = s * (2.0f + s2 * (2.0f / 3.0f + s2 * (2.0f / 5.0f + s2 * (2.0f / 7.0f + s2 * (2.0f / 9.0f + s2 * (2.0f / 11.0f))))));
  return e * std::numbers::ln2_v<float> + series;
}

// erfc(x), Abramowitz & Stegun 7.1.26 for |x| (absolute error < 1.5e-7), erfc(-x) = 2 - erfc(x).
[[gnu::always_inline]] inline float erfc_approx(float x) noexcept {
  const float ax = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  const float poly =
      t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float arg = std::max(-ax * ax, -87.0f);
  const float r = poly * fast_exp(arg);
  return x >= 0.0f ? r : 2.0f - r;
}

}  // namespace

void transfer_function::rate_Hz_batch(const float* __restrict fe_Hz, const float* __restrict fi_Hz,
                                      const float* __restrict w_pA, const float* __restrict i_pA,
                                      float* __restrict rate_Hz, float* __restrict mu_v_out, std::size_t n,
                                      float fe_drive_Hz) const noexcept {
  const cell_synapses& c = cell_;
  const auto coef = as_11_terms_mV(threshold_);
  const float p0 = static_cast<float>(coef[0]), p1 = static_cast<float>(coef[1]), p2 = static_cast<float>(coef[2]),
              p3 = static_cast<float>(coef[3]), p4 = static_cast<float>(coef[4]), p5 = static_cast<float>(coef[5]),
              p6 = static_cast<float>(coef[6]), p7 = static_cast<float>(coef[7]), p8 = static_cast<float>(coef[8]),
              p9 = static_cast<float>(coef[9]), p10 = static_cast<float>(coef[10]);
  const float qe_te = static_cast<float>(c.q_exc_nS * c.tau_exc_ms / kMsPerS);  // per Hz of input
  const float qi_ti = static_cast<float>(c.q_inh_nS * c.tau_inh_ms / kMsPerS);
  const float g_l = static_cast<float>(c.g_l_nS), g_l_e_l = static_cast<float>(c.g_l_nS * c.e_l_mV);
  const float e_e = static_cast<float>(c.e_exc_mV), e_i = static_cast<float>(c.e_inh_mV);
  const float q_e = static_cast<float>(c.q_exc_nS), q_i = static_cast<float>(c.q_inh_nS);
  const float tau_e = static_cast<float>(c.tau_exc_ms), tau_i = static_cast<float>(c.tau_inh_ms);
  const float cap = static_cast<float>(c.c_pF), inv_g_l = 1.0f / g_l, g_l_over_c = g_l / cap;
  const float inh_factor = static_cast<float>(inh_factor_);
  const float per_ms = static_cast<float>(1.0 / kMsPerS), eps_per_ms = static_cast<float>(kRateEpsilon_Hz / kMsPerS);
  constexpr float kMaxIn = static_cast<float>(kMaxInput_Hz);
  const float fe_loss_per_ms = static_cast<float>(drive_variance_loss(fe_drive_Hz));
  const float mu_v_min = static_cast<float>(fitted_domain_min_mu_v_mV());
  const float mu_v_max = static_cast<float>(fitted_domain_max_mu_v_mV());
  for (std::size_t k = 0; k < n; ++k) {
    const float fe_raw = fe_Hz[k], fi_raw = fi_Hz[k];
    const float fe_in = fe_raw >= 0.0f ? std::min(fe_raw, kMaxIn) : 0.0f;
    const float fi_in = fi_raw >= 0.0f ? std::min(fi_raw, kMaxIn) : 0.0f;
    const float mu_ge = qe_te * fe_in, mu_gi = qi_ti * fi_in;
    const float mu_g = g_l + mu_ge + mu_gi;
    const float inv_mu_g = 1.0f / mu_g;
    const float mu_v = (mu_ge * e_e + mu_gi * e_i + g_l_e_l - w_pA[k] + i_pA[k]) * inv_mu_g;
    // The fit is read inside [E_inh, max_mu_v_mV] (held at the edge passed; the erfc keeps the own mean mu_v).
    const float mu_fit = std::min(std::max(mu_v, mu_v_min), mu_v_max);
    const float tau_m = cap * inv_mu_g;
    const float u_e = q_e * (e_e - mu_fit) * inv_mu_g * tau_e, u_i = q_i * (e_i - mu_fit) * inv_mu_g * tau_i;
    const float ue2 = u_e * u_e, ui2 = u_i * u_i * inh_factor;
    const float fe = std::max(fe_in * per_ms - fe_loss_per_ms, 0.0f), fi = fi_in * per_ms;
    const float inv_te = 1.0f / (tau_e + tau_m), inv_ti = 1.0f / (tau_i + tau_m);
    const float var = 0.5f * (fe * ue2 * inv_te + fi * ui2 * inv_ti);
    const float sigma = std::sqrt(std::max(var, 0.0f)) + 1e-6f;  // float floor (1e-6 mV)
    const float ae = (fe + eps_per_ms) * ue2, ai = (fi + eps_per_ms) * ui2;
    const float num = ae + ai, den = ae * inv_te + ai * inv_ti;
    const float tau_v = (num > 0.0f && den > 0.0f) ? num / den : tau_e + tau_m;
    const float vv = (mu_fit + 60.0f) * 0.1f, ss = (sigma - 4.0f) * (1.0f / 6.0f), tt = tau_v * g_l_over_c - 0.5f;
    const float ln_g = log_ge1(mu_g * inv_g_l);
    const float v_eff = p0 + p1 * vv + p2 * ss + p3 * tt + p4 * ln_g + p5 * vv * vv + p6 * ss * ss + p7 * tt * tt +
                        p8 * vv * ss + p9 * vv * tt + p10 * ss * tt;
    const float x = (v_eff - mu_v) / (std::numbers::sqrt2_v<float> * sigma);
    const float xc = std::min(std::max(x, -20.0f), 20.0f);  // NaN-free for every finite input
    const float f = erfc_approx(xc) / (2.0f * tau_v) * 1000.0f;
    rate_Hz[k] = f >= 0.0f ? f : 0.0f;
    if (mu_v_out) mu_v_out[k] = mu_v;
  }
}

}  // namespace cortexloop::engine::meanfield
