#include "engine/meanfield/tf_fit.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <numbers>
#include <stdexcept>
#include <string>
#include <thread>

#include "engine/random/rng.hpp"
#include "engine/units.hpp"

namespace cortexloop::engine::meanfield {

std::vector<tf_point> tf_grid::points() const {
  std::vector<tf_point> out;
  for (const double i : i_pA)
    for (const double e : nu_e_Hz)
      for (const double r : ratio_i_over_e) out.push_back({e, r * e, i});
  return out;
}

// Currents down to -80 pA cover the adaptation current of the RS cells in the network (W ~ 35-85 pA at
// drives 2-8 Hz).
tf_grid default_fit_grid() {
  return {{1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0},
          {0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0},
          {0.0, -40.0, -80.0}};
}

tf_grid default_heldout_grid() {
  return {{2.5, 4.5, 6.5, 9.0, 13.5, 22.5}, {0.625, 0.875, 1.125, 1.375, 1.625, 2.25}, {-20.0, -60.0}};
}

std::vector<tf_sample> simulate_grid(const adex_params& cell, const network_params& net, double dt_ms,
                                     std::span<const tf_point> points,
                                     const single_neuron_options& options, unsigned threads,
                                     const std::function<void(std::size_t, std::size_t)>& progress) {
  const auto k_exc = static_cast<double>(net.n_exc()) * net.p_connect;
  const auto k_inh = static_cast<double>(net.n_inh()) * net.p_connect;
  std::vector<tf_sample> out(points.size());
  std::atomic<std::size_t> next{0};
  std::mutex m;
  std::condition_variable cv;
  std::size_t done = 0;
  auto work = [&] {
    for (std::size_t k = next++; k < points.size(); k = next++) {
      single_neuron_options o = options;
      std::uint64_t s = options.seed + 0x9E37 * (k + 1);
      o.seed = splitmix64(s);
      tf_sample& t = out[k];
      t.nu_e_Hz = points[k].nu_e_Hz;
      t.nu_i_Hz = points[k].nu_i_Hz;
      t.i_pA = points[k].i_pA;
      t.fe_Hz = k_exc * t.nu_e_Hz;
      t.fi_Hz = k_inh * t.nu_i_Hz;
      const single_neuron_result r = simulate_single_neurons(cell, net, dt_ms, t.fe_Hz, t.fi_Hz, o, t.i_pA);
      t.rate_Hz = r.rate_Hz;
      t.spikes = r.spikes;
      {
        std::lock_guard lock(m);
        ++done;
      }
      cv.notify_one();
    }
  };
  // Workers simulate; the calling thread only reports progress.
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < std::max(threads, 1u); ++i) pool.emplace_back(work);
  {
    std::unique_lock lock(m);
    while (done < points.size()) {
      cv.wait(lock);
      if (progress && done < points.size()) progress(done, points.size());
    }
  }
  for (auto& t : pool) t.join();
  if (progress) progress(points.size(), points.size());
  return out;
}

namespace {

// erfcinv(y), y in (0, 2), by bisection on the decreasing erfc (60 halvings of [-10, 10]).
double erfcinv(double y) {
  double lo = -10.0, hi = 10.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (std::erfc(mid) > y ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// Solves the symmetric positive system A x = b (n x n, row-major) by Gaussian elimination with pivoting.
std::vector<double> solve(std::vector<double> a, std::vector<double> b, std::size_t n) {
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r * n + c]) > std::fabs(a[piv * n + c])) piv = r;
    for (std::size_t k = 0; k < n; ++k) std::swap(a[c * n + k], a[piv * n + k]);
    std::swap(b[c], b[piv]);
    for (std::size_t r = c + 1; r < n; ++r) {
      const double f = a[r * n + c] / a[c * n + c];
      for (std::size_t k = c; k < n; ++k) a[r * n + k] -= f * a[c * n + k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (std::size_t c = n; c-- > 0;) {
    double s = b[c];
    for (std::size_t k = c + 1; k < n; ++k) s -= a[c * n + k] * x[k];
    x[c] = s / a[c * n + c];
  }
  return x;
}

// Nelder & Mead 1965 with the usual coefficients (reflection 1, expansion 2, contraction 1/2, shrink 1/2).
template <class Cost>
std::vector<double> nelder_mead(Cost&& cost, std::vector<double> x0, const std::vector<double>& step, int max_evals,
                                double& best_cost, std::int64_t& evals) {
  const std::size_t n = x0.size();
  std::vector<std::vector<double>> simplex(n + 1, x0);
  std::vector<double> f(n + 1);
  for (std::size_t i = 0; i < n; ++i) simplex[i + 1][i] += step[i];
  for (std::size_t i = 0; i <= n; ++i) f[i] = cost(simplex[i]);
  evals += static_cast<std::int64_t>(n + 1);
  std::vector<std::size_t> order(n + 1);
  std::vector<double> centroid(n), trial(n), trial2(n);
  auto at = [&](double t, std::vector<double>& out) {  // out = centroid + t (worst - centroid)
    for (std::size_t k = 0; k < n; ++k) out[k] = centroid[k] + t * (simplex[order[n]][k] - centroid[k]);
  };
  for (int it = 0; evals < max_evals; ++it) {
    for (std::size_t i = 0; i <= n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return f[a] < f[b]; });
    if (f[order[n]] - f[order[0]] <= 1e-12 * (std::fabs(f[order[0]]) + 1e-12)) break;
    std::fill(centroid.begin(), centroid.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < n; ++k) centroid[k] += simplex[order[i]][k] / static_cast<double>(n);
    at(-1.0, trial);
    const double fr = cost(trial);
    ++evals;
    const std::size_t worst = order[n];
    if (fr < f[order[0]]) {
      at(-2.0, trial2);
      const double fe = cost(trial2);
      ++evals;
      if (fe < fr) simplex[worst] = trial2, f[worst] = fe;
      else simplex[worst] = trial, f[worst] = fr;
    } else if (fr < f[order[n - 1]]) {
      simplex[worst] = trial, f[worst] = fr;
    } else {
      at(fr < f[worst] ? -0.5 : 0.5, trial2);
      const double fc = cost(trial2);
      ++evals;
      if (fc < std::min(fr, f[worst])) {
        simplex[worst] = trial2, f[worst] = fc;
      } else {
        for (std::size_t i = 1; i <= n; ++i) {
          auto& x = simplex[order[i]];
          for (std::size_t k = 0; k < n; ++k) x[k] = simplex[order[0]][k] + 0.5 * (x[k] - simplex[order[0]][k]);
          f[order[i]] = cost(x);
          ++evals;
        }
      }
    }
  }
  const auto best = static_cast<std::size_t>(std::min_element(f.begin(), f.end()) - f.begin());
  best_cost = f[best];
  return simplex[best];
}

}  // namespace

fit_summary fit_threshold(const cell_synapses& cell, polynomial_form form, moments_formula formula,
                          std::span<const tf_sample> samples) {
  const std::size_t n = n_terms(form);
  threshold_params th;
  th.form = form;
  const transfer_function tf(cell, th, formula);
  // Moments do not depend on P: compute them and the polynomial terms once. They are those transfer_function::rate_Hz
  // reads, so that the fit's cost (and transfer_function_error) judge the function the mean field uses: below E_inh
  // (the fitted domain's lower edge) the polynomial's terms, sigma_V and tau_V are the edge's and the erfc keeps the
  // sample's own mu_V; at and above it, the sample's own moments unchanged. fit-tf's grids never go below: their
  // currents, 0 to -80 pA, fall well short of the g_L (E_L - E_inh) it takes to pull mu_V to E_inh without any
  // synaptic input (150 pA for the Zerlaut cells). A caller's samples may. Likewise above the upper edge
  // (threshold_params' default max_mu_v_mV, -33 mV: a fit of new P has no config edge yet), which was placed just
  // above the highest mu_V of fit-tf's grid (-33.95 mV) so that the hold never touches the points it fits.
  std::vector<moments> mom(samples.size());
  std::vector<double> terms(samples.size() * kMaxThresholdTerms);
  for (std::size_t k = 0; k < samples.size(); ++k) {
    const moments own = tf.compute_moments(samples[k].fe_Hz, samples[k].fi_Hz, 0.0, samples[k].i_pA);
    const moments fit = tf.fit_moments(own, samples[k].fe_Hz, samples[k].fi_Hz);
    threshold_terms(fit, cell, form, &terms[k * kMaxThresholdTerms]);
    mom[k] = fit;
    mom[k].mu_v_mV = own.mu_v_mV;
  }
  // (2) Linear fit of V_eff (volts, as published) on the points with a measurable rate below saturation.
  std::vector<double> ata(n * n, 0.0), atb(n, 0.0);
  fit_summary out;
  std::vector<std::pair<std::size_t, double>> linear;
  for (std::size_t k = 0; k < samples.size(); ++k) {
    const double y = 2.0 * samples[k].rate_Hz * mom[k].tau_v_ms / kMsPerS;  // = erfc(...)
    if (samples[k].spikes < 20 || y <= 0.0 || y >= 1.9) continue;
    const double v_eff_V = (mom[k].mu_v_mV + std::numbers::sqrt2 * mom[k].sigma_v_mV * erfcinv(y)) / 1000.0;
    linear.emplace_back(k, v_eff_V);
    const double* t = &terms[k * kMaxThresholdTerms];
    for (std::size_t i = 0; i < n; ++i) {
      atb[i] += t[i] * v_eff_V;
      for (std::size_t j = 0; j < n; ++j) ata[i * n + j] += t[i] * t[j];
    }
  }
  // Fewer points than coefficients leave the polynomial undetermined (the ridge below would return zeros, and
  // fit-tf wrote an all-zero table for a network without synaptic input).
  if (linear.size() < n)
    throw std::invalid_argument("only " + std::to_string(linear.size()) + " of " + std::to_string(samples.size()) +
                                " grid points have a measurable rate (>= 20 spikes, below saturation); the fit of " +
                                std::to_string(n) + " coefficients needs at least " + std::to_string(n) +
                                ": more cells or a longer duration per point, or cells that receive synaptic input");
  for (std::size_t i = 0; i < n; ++i) ata[i * n + i] += 1e-12;  // keeps the system solvable on a degenerate grid
  std::vector<double> p = solve(ata, atb, n);
  out.linear_points = linear.size();
  double ss = 0;
  for (const auto& [k, v] : linear) {
    double fit = 0;
    for (std::size_t i = 0; i < n; ++i) fit += p[i] * terms[k * kMaxThresholdTerms + i];
    ss += (fit - v) * (fit - v) * 1e6;
  }
  out.linear_rms_mV = linear.empty() ? 0.0 : std::sqrt(ss / static_cast<double>(linear.size()));
  // (3) Nelder-Mead on the rate: sum over all points of ((F - F_sim) / (F_sim + 1 Hz))^2.
  auto cost = [&](const std::vector<double>& q) {
    double c = 0;
    for (std::size_t k = 0; k < samples.size(); ++k) {
      double v = 0;
      for (std::size_t i = 0; i < n; ++i) v += q[i] * terms[k * kMaxThresholdTerms + i];
      const double f = transfer_function::rate_from_threshold_Hz(mom[k], 1000.0 * v);  // rate_Hz's reading (above)
      const double r = (f - samples[k].rate_Hz) / (samples[k].rate_Hz + 1.0);
      c += r * r;
    }
    return c;
  };
  std::vector<double> step(n);
  // Three rounds, each restarting from the previous best with a fresh simplex (Nelder-Mead can stall).
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < n; ++i) step[i] = 0.05 * std::fabs(p[i]) + 2e-5;
    p = nelder_mead(cost, p, step, 4000 * (round + 1), out.refined_cost, out.evaluations);
  }
  for (std::size_t i = 0; i < n; ++i) out.p.p_V[i] = p[i];
  out.p.form = form;
  return out;
}

tf_error transfer_function_error(const transfer_function& tf, std::span<const tf_sample> samples, double abs_tol_Hz,
                                 double rel_tol) {
  tf_error e;
  double ss = 0;
  for (std::size_t k = 0; k < samples.size(); ++k) {
    const double d = tf.rate_Hz(samples[k].fe_Hz, samples[k].fi_Hz, 0.0, samples[k].i_pA) - samples[k].rate_Hz;
    ss += d * d;
    e.max_abs_Hz = std::max(e.max_abs_Hz, std::fabs(d));
    const double ratio = std::fabs(d) / std::max(abs_tol_Hz, rel_tol * samples[k].rate_Hz);
    if (ratio > e.worst_ratio) e.worst_ratio = ratio, e.worst_index = k;
  }
  e.rms_Hz = samples.empty() ? 0.0 : std::sqrt(ss / static_cast<double>(samples.size()));
  return e;
}

}  // namespace cortexloop::engine::meanfield
