// The ALN cascade tables (issue 11): the EIF Fokker-Planck solver (engine/aln/eif_fokker_planck) and the table
// built from it, checked against (1) direct Monte-Carlo simulation of one EIF neuron under white noise, (2) the
// authors' precomputed table (neurolib quantities_cascade.h5, points in tests/reference/data/
// aln_cascade_points.md), (3) analytic results: the Siegert formula for the LIF limit (Delta_T = 0), the noiseless
// period of the EIF for small sigma above rheobase, and dr_ss/dmu as the zero-frequency limit of the rate response.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <string>
#include <vector>

#include <unistd.h>

#include "engine/aln/cascade_table.hpp"
#include "engine/aln/eif_fokker_planck.hpp"
#include "engine/random/rng.hpp"
#include "io/aln_cache/cascade_cache.hpp"

namespace aln = cortexloop::engine::aln;

namespace {

// Euler-Maruyama of dV = (leak_drift(V) + mu) dt + sigma dW for n_neurons independent neurons; spike at V_cut,
// reset to V_r and held there for t_ref (as the Fokker-Planck boundary conditions). Returns each neuron's rate, Hz;
// with mean_v_mV, also each neuron's time average of V outside the refractory period (the table's V_mean).
std::vector<double> simulate_eif_rates(const aln::eif_neuron_params& p, double mu, double sigma, double dt_ms,
                                       double t_ms, int n_neurons, std::uint64_t seed,
                                       std::vector<double>* mean_v_mV = nullptr) {
  cortexloop::engine::scalar_rng rng(seed);
  const double tau_m = p.tau_m_ms(), noise = sigma * std::sqrt(dt_ms);
  const long steps = std::lround(t_ms / dt_ms);
  const long ref_steps = std::lround(p.t_ref_ms / dt_ms);
  std::vector<double> rates(n_neurons);
  if (mean_v_mV) mean_v_mV->assign(n_neurons, 0.0);
  constexpr double two_pi = 6.283185307179586;
  for (int n = 0; n < n_neurons; ++n) {
    double v = p.e_l_mV + mu * tau_m;  // start near the mean; the first 200 ms are discarded below
    long refractory = 0, spikes = 0, free_steps = 0;
    double v_sum = 0;
    const long burn = std::lround(200.0 / dt_ms);
    double spare = 0;
    bool have_spare = false;
    for (long s = 0; s < steps + burn; ++s) {
      double xi;  // Box-Muller, two normals per pair of uniforms
      if (have_spare) {
        xi = spare, have_spare = false;
      } else {
        const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        xi = r * std::cos(two_pi * u2), spare = r * std::sin(two_pi * u2), have_spare = true;
      }
      if (refractory > 0) {
        --refractory;
        continue;
      }
      if (s >= burn) v_sum += v, ++free_steps;
      const double spike = p.delta_t_mV > 0 ? p.delta_t_mV * std::exp((v - p.v_t_mV) / p.delta_t_mV) : 0.0;
      v += dt_ms * ((p.e_l_mV - v + spike) / tau_m + mu) + noise * xi;
      if (v >= p.v_cut_mV) {
        v = p.v_r_mV;
        refractory = ref_steps;
        if (s >= burn) ++spikes;
      }
    }
    rates[n] = 1000.0 * spikes / t_ms;
    if (mean_v_mV) (*mean_v_mV)[n] = v_sum / static_cast<double>(free_steps);
  }
  return rates;
}

// Siegert / Brunel 2000 (Eq. 21 of Brunel 2000, J Comput Neurosci 8:183) rate of the LIF neuron:
//   1/r = t_ref + tau_m sqrt(pi) int_{(V_r - m)/s}^{(V_th - m)/s} e^{u^2} (1 + erf u) du,
// m = E_L + mu tau_m, s = sigma sqrt(tau_m) (Brunel's sigma: tau_m dV/dt = ... + s sqrt(tau_m) xi, so our
// dV/dt = ... + sigma xi has s = sigma sqrt(tau_m); the free membrane's SD is s / sqrt(2)).
double siegert_rate_Hz(const aln::eif_neuron_params& p, double mu, double sigma) {
  const double tau_m = p.tau_m_ms(), m = p.e_l_mV + mu * tau_m, s = sigma * std::sqrt(tau_m);
  const double a = (p.v_r_mV - m) / s, b = (p.v_cut_mV - m) / s;
  const int n = 20000;  // Simpson
  const double h = (b - a) / n;
  auto f = [](double u) { return std::exp(u * u) * std::erfc(-u); };
  double sum = f(a) + f(b);
  for (int i = 1; i < n; ++i) sum += (i % 2 ? 4 : 2) * f(a + i * h);
  const double integral = sum * h / 3;
  return 1000.0 / (p.t_ref_ms + tau_m * std::sqrt(M_PI) * integral);
}

// A table whose nodes are exactly the points of aln_cascade_points.md: neurolib's grid is mu = -1 + 8 i/349,
// sigma = 0.5 + 4.5 j/63; the reference points are i = 50, 100, ..., 300 and j = 5, 20, 40, 60.
aln::cascade_grid reference_subgrid() {
  aln::cascade_grid g;
  g.mu_min_mV_per_ms = -1.0 + 8.0 * 50 / 349;
  g.mu_max_mV_per_ms = -1.0 + 8.0 * 300 / 349;
  g.n_mu = 6;
  g.sigma_min_mV_per_sqrt_ms = 0.5 + 4.5 * 5 / 63;
  g.sigma_max_mV_per_sqrt_ms = 0.5 + 4.5 * 60 / 63;
  g.n_sigma = 12;  // steps of 5 grid points: j = 5, 10, ..., 60
  return g;
}

struct reference_point {
  int i_mu, j_sigma;  // node of reference_subgrid()
  double r_Hz, v_mean_mV, tau_mu_ms, tau_sigma_ms;
};
// Copied from tests/reference/data/aln_cascade_points.md (neurolib-dev/neurolib,
// neurolib/models/aln/aln-precalc/quantities_cascade.h5).
const reference_point kReference[] = {
    {0, 0, 3.69565e-05, -62.0799, 26.171, 18.001}, {0, 3, 1.34947, -62.6463, 13.111, 3.761},
    {0, 7, 7.64985, -65.8554, 6.691, 0.601},       {0, 11, 14.0084, -69.4599, 5.051, 0.211},
    {1, 0, 35.0552, -56.087, 1.561, 0.171},        {1, 3, 35.7584, -57.2237, 1.651, 0.141},
    {1, 7, 38.4842, -59.7236, 1.731, 0.101},       {1, 11, 42.2261, -62.7264, 1.821, 0.071},
    {2, 0, 72.9551, -56.4385, 0.601, 0},           {2, 3, 72.649, -56.9288, 0.661, 0},
    {2, 7, 72.7711, -58.2273, 0.761, 0.051},       {2, 11, 73.8974, -60.1594, 0.871, 0.041},
    {3, 0, 105.059, -56.4341, 0.361, 0},           {3, 3, 104.61, -56.7531, 0.391, 0},
    {3, 7, 104.001, -57.6052, 0.451, 0},           {3, 11, 103.912, -58.9516, 0.521, 0.021},
    {4, 0, 133.312, -56.3792, 0.251, 0},           {4, 3, 132.844, -56.617, 0.271, 0},
    {4, 7, 131.997, -57.2485, 0.311, 0},           {4, 11, 131.348, -58.2634, 0.351, 0},
    {5, 0, 158.547, -56.3165, 0.191, 0},           {5, 3, 158.092, -56.5065, 0.201, 0},
    {5, 7, 157.177, -57.0079, 0.231, 0},           {5, 11, 156.27, -57.8169, 0.261, 0},
};

}  // namespace

// Seen to fail: with the refractory correction left out of steady_state (rate = r0 instead of r0/(1 + r0 t_ref))
// the 35 Hz point fails the 5% check (FP 37.0 Hz vs MC 34.98 +- 0.06) and the 14 Hz point the 3 SEM + 1% check.
TEST_CASE("EIF Fokker-Planck steady-state rate matches a Monte-Carlo simulation of one EIF neuron",
          "[aln][fokker-planck][monte-carlo]") {
  const aln::eif_neuron_params p;
  const aln::eif_fokker_planck fp(p, aln::fp_numerics{});
  struct point {
    double mu, sigma, t_ms;
  };
  // durations give 7,000-12,000 spikes per point (40 neurons); the SD of the mean over the 40 seeds (SEM) measured
  // 0.2-0.9% of the rate (docs/aln.md), well below the 5% tolerance
  const point points[] = {{0.146132, 3.357143, 40000.0}, {0.146132, 4.785714, 20000.0}, {1.292264, 0.857143, 8000.0},
                          {0.6, 2.0, 15000.0}};
  std::uint64_t seed = 11;
  for (const point& q : points) {
    const std::vector<double> r = simulate_eif_rates(p, q.mu, q.sigma, 0.005, q.t_ms, 40, seed++);
    const double mean = std::accumulate(r.begin(), r.end(), 0.0) / r.size();
    double var = 0;
    for (double x : r) var += (x - mean) * (x - mean);
    const double sem = std::sqrt(var / (r.size() - 1) / r.size());  // SD of the mean over seeds
    const double fp_rate = fp.steady_state(q.mu, q.sigma).rate_Hz;
    INFO("mu " << q.mu << " sigma " << q.sigma << ": FP " << fp_rate << " Hz, MC " << mean << " +- " << sem
               << " Hz (SEM), rel. diff " << (fp_rate - mean) / mean);
    CHECK(sem < 0.01 * mean);                              // statistics well below the 5% tolerance
    CHECK(std::abs(fp_rate - mean) < 0.05 * mean);          // the criterion
    CHECK(std::abs(fp_rate - mean) < 3 * sem + 0.01 * mean); // and in fact within noise + 1% (Euler-Maruyama bias)
  }
}

// The table, not only the solver, against direct simulation, across the whole default grid (the issue: "the table
// agrees with direct single-neuron simulation across the grid"): tables generated on 4 x 4 nodes of neurolib's grid
// spread over all of it (mu index 87, 174, 261, 348 of 350: 0.99 ... 6.98 mV/ms; sigma index 0, 21, 42, 63 of 64:
// 0.5 ... 5 mV/sqrt(ms)), rates 23-181 Hz, and on 2 x 2 nodes below it, where the mean input alone stays under the
// threshold and the noise makes the spikes (mu index 30 and 50: -0.31 and 0.15 mV/ms; sigma index 58 and 63: 4.64
// and 5 mV/sqrt(ms)), rates 6-15 Hz (nearer the grid's low corner the rates fall below 1-2 Hz, where 5,000 spikes
// would take minutes); Monte Carlo as above, 40 neurons per node for about 5,000 spikes. Tolerances: rate 5% (the
// issue's), V_mean 0.2 mV (the tolerance against the authors' table). Measured (seeds 101-120): rate within
// 2.3% (the worst at (0.99, 5): 34.87 Hz against 34.08; the others within 0.8% above the threshold's mean input),
// V_mean within 0.09 mV; Euler-Maruyama's dt bias included. Below it (seeds 117-120, 2026-12-03): rates within 1.9%
// (6.00 against 5.89 Hz at (-0.31, 4.64)), V_mean within 0.10 mV.
// Seen to fail: with r_ss written without the refractory correction (rate = r0 in eif_fokker_planck::moments) 14 of
// the 16 rates; with V_mean over all neurons, the refractory ones counted at V_r, all 16 V_mean; with the solver's
// sigma 3 % low, all 4 nodes below the threshold's mean input and 2 of the 16 above it.
TEST_CASE("ALN cascade table agrees with direct simulation of one EIF neuron across the grid",
          "[aln][table][monte-carlo]") {
  const aln::eif_neuron_params p;
  std::uint64_t seed = 101;
  // neurolib's grid is mu = -1 + 8 i/349, sigma = 0.5 + 4.5 j/63; each part as indices (first, last, count).
  struct part {
    int mu_first, mu_last, n_mu, sigma_first, sigma_last, n_sigma;
  };
  for (const part& at : {part{87, 348, 4, 0, 63, 4}, part{30, 50, 2, 58, 63, 2}}) {
    aln::cascade_grid g;
    g.mu_min_mV_per_ms = -1.0 + 8.0 * at.mu_first / 349;
    g.mu_max_mV_per_ms = -1.0 + 8.0 * at.mu_last / 349;
    g.n_mu = at.n_mu;
    g.sigma_min_mV_per_sqrt_ms = 0.5 + 4.5 * at.sigma_first / 63;
    g.sigma_max_mV_per_sqrt_ms = 0.5 + 4.5 * at.sigma_last / 63;
    g.n_sigma = at.n_sigma;
    const aln::cascade_table t = aln::generate_cascade_table(p, aln::fp_numerics{}, g, 2);
    for (int j = 0; j < g.n_sigma; ++j)
      for (int i = 0; i < g.n_mu; ++i) {
        const aln::cascade_quantities c = t.at(i, j);
        REQUIRE(c.r_ss_Hz > 1.0);
        const double t_ms = 1000.0 * 5000.0 / (40 * c.r_ss_Hz);  // ~5,000 spikes over the 40 neurons
        std::vector<double> v;
        const std::vector<double> r = simulate_eif_rates(p, g.mu(i), g.sigma(j), 0.005, t_ms, 40, seed++, &v);
        const double rate = std::accumulate(r.begin(), r.end(), 0.0) / r.size();
        const double v_mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
        INFO("mu " << g.mu(i) << " sigma " << g.sigma(j) << ": table " << c.r_ss_Hz << " Hz, " << c.v_mean_mV
                   << " mV; MC " << rate << " Hz, " << v_mean << " mV; rate diff " << (c.r_ss_Hz - rate) / rate);
        CHECK(std::abs(c.r_ss_Hz - rate) < 0.05 * rate);
        CHECK(std::abs(c.v_mean_mV - v_mean) < 0.2);
      }
  }
}

// Seen to fail: giving every fit frequency weight 1 (instead of the number of grid frequencies it stands for)
// fails tau_mu and tau_sigma at the mu = 0.146 points; fitting tau_sigma also where dr/dsigma < 0 (dropping the
// sign rule) fails the tau_sigma = 0 points.
TEST_CASE("ALN cascade table agrees with neurolib's quantities_cascade.h5 at the reference points",
          "[aln][table][reference]") {
  const aln::cascade_table t =
      aln::generate_cascade_table(aln::eif_neuron_params{}, aln::fp_numerics{}, reference_subgrid(), 2);
  for (const reference_point& ref : kReference) {
    const aln::cascade_quantities c = t.at(ref.i_mu, ref.j_sigma);
    INFO("mu " << t.grid.mu(ref.i_mu) << " sigma " << t.grid.sigma(ref.j_sigma) << ": r " << c.r_ss_Hz << " (ref "
               << ref.r_Hz << ") V " << c.v_mean_mV << " (" << ref.v_mean_mV << ") tau_mu " << c.tau_mu_ms << " ("
               << ref.tau_mu_ms << ") tau_sigma " << c.tau_sigma_ms << " (" << ref.tau_sigma_ms << ")");
    // Measured over the 24 points (2026-12-07): rate within 6.7e-5 relative, V_mean within 0.0020 mV (same numerics
    // as the authors' table, deterministic); held to 3e-4 and 0.01 mV, ~5 times that (they were 2 % and 0.2 mV, the
    // issue's tolerance, 300 and 100 times it: an outside audit). Break tried: fp_numerics::d_v_coarse_mV 0.5 (a
    // coarser grid below -100 mV) -> both fail here, and passed the old bounds.
    CHECK(std::abs(c.r_ss_Hz - ref.r_Hz) <= 3e-4 * ref.r_Hz);
    CHECK(std::abs(c.v_mean_mV - ref.v_mean_mV) <= 0.01);
    // The reference's taus are the minimum of the fit error on a grid 0.001 + 0.01 k ms (their values all end in
    // 1), so each carries up to one grid step (0.01 ms) of rounding: within 5% or 0.01 ms, whichever is larger.
    CHECK(std::abs(c.tau_mu_ms - ref.tau_mu_ms) <= std::max(0.05 * ref.tau_mu_ms, 0.01));
    if (ref.tau_sigma_ms == 0) {
      // 0 is the authors' value where dr_ss/dsigma <= 0 (no positive exponential filter exists): must be 0 here too
      CHECK(c.tau_sigma_ms == 0);
    } else {
      CHECK(std::abs(c.tau_sigma_ms - ref.tau_sigma_ms) <= std::max(0.05 * ref.tau_sigma_ms, 0.01));
    }
  }
}

// Seen to fail: with the cell integral b_k = (2/sigma^2) dV (the F -> 0 limit everywhere) instead of
// (2/sigma^2)(e^{dV F} - 1)/F, the point (1.5, 1.0) misses Siegert by 1.1% (54.62 vs 55.22 Hz).
TEST_CASE("LIF limit (Delta_T = 0) of the Fokker-Planck rate matches the Siegert formula", "[aln][fokker-planck][analytic]") {
  aln::eif_neuron_params p;
  p.delta_t_mV = 0;
  p.v_cut_mV = -50.0;  // the LIF threshold: the exponential term's V_T
  const aln::eif_fokker_planck fp(p, aln::fp_numerics{});
  const double points[][2] = {{0.5, 1.0}, {0.5, 3.0}, {0.9, 2.0}, {1.5, 1.0}, {2.0, 4.0}};
  for (const auto& q : points) {
    const double want = siegert_rate_Hz(p, q[0], q[1]), got = fp.steady_state(q[0], q[1]).rate_Hz;
    INFO("mu " << q[0] << " sigma " << q[1] << ": FP " << got << " Hz, Siegert " << want << " Hz");
    // first-order threshold integration at dV = 0.01 mV: measured within 0.3% (docs/aln.md), deterministic; 0.5%
    // tolerance (it was 1%, three times the measured error)
    CHECK(std::abs(got - want) <= 0.005 * want);
  }
}

// Seen to fail: with the reinjection at V_r dropped from the steady state (flux 1 below the reset as well), the
// three points fail by a factor 2-3 (18.4 vs 42.6 Hz at mu = 1.5).
TEST_CASE("Small noise above rheobase: the rate tends to the noiseless EIF's 1/(t_ref + period)", "[aln][fokker-planck][analytic]") {
  const aln::eif_neuron_params p;
  const aln::eif_fokker_planck fp(p, aln::fp_numerics{});
  for (const double mu : {1.5, 3.0, 6.0}) {
    // period = int_{V_r}^{V_cut} dV / (mu + leak_drift(V)), by Simpson on a fine grid
    const int n = 200000;
    const double h = (p.v_cut_mV - p.v_r_mV) / n;
    auto g = [&](double v) {
      return 1.0 / (mu + (p.e_l_mV - v + p.delta_t_mV * std::exp((v - p.v_t_mV) / p.delta_t_mV)) / p.tau_m_ms());
    };
    double sum = g(p.v_r_mV) + g(p.v_cut_mV);
    for (int i = 1; i < n; ++i) sum += (i % 2 ? 4 : 2) * g(p.v_r_mV + i * h);
    const double want = 1000.0 / (p.t_ref_ms + sum * h / 3);
    const double got = fp.steady_state(mu, 0.1).rate_Hz;  // sigma = 0.1 mV/sqrt(ms): O(sigma^2) correction
    INFO("mu " << mu << ": FP(sigma 0.1) " << got << " Hz, noiseless " << want << " Hz");
    // Measured 1.12e-4 to 1.30e-4 relative at the three points (2026-12-07): held to 5e-4 (it was 1 %, ~80 times).
    // Break tried: fp_numerics::d_v_mV 0.05 -> 5.9e-4 to 6.5e-4, fails here, passed 1 %.
    CHECK(std::abs(got - want) <= 5e-4 * want);
  }
}

// Seen to fail: with the inhomogeneity of the mu response scaled by 2 (h = 2 mu1 p0), r1(f -> 0) is twice dr/dmu.
TEST_CASE("The rate response to mu at low frequency equals dr_ss/dmu of the steady state", "[aln][fokker-planck][analytic]") {
  const aln::eif_fokker_planck fp(aln::eif_neuron_params{}, aln::fp_numerics{});
  for (const double mu : {0.146132, 1.292264, 3.0}) {
    const double sigma = 2.0, d = 1e-4;
    const double dr_dmu = (fp.steady_state(mu + d, sigma).rate_Hz - fp.steady_state(mu - d, sigma).rate_Hz) / (2 * d);
    const auto lr = fp.response(mu, sigma);
    INFO("mu " << mu << ": r1(" << lr.f_Hz[0] << " Hz) = " << lr.r1_mu[0] << ", dr/dmu " << dr_dmu);
    CHECK(std::abs(lr.r1_mu[0].real() - dr_dmu) <= 0.01 * std::abs(dr_dmu));
    CHECK(std::abs(lr.r1_mu[0].imag()) <= 0.05 * std::abs(dr_dmu));  // 0.25 Hz: nearly static
  }
}

// The sigma response's static limit: modulating sigma at 0.01 Hz is a slow change of sigma, so r1_sigma there
// must equal dr_ss/dsigma, here a central difference of two steady states (an independent route: no linear
// response involved). This checks the sigma source of the response sweep and the homogeneous part it is divided
// by (reinjection at the reset), as the mu test above checks the mu source. At 0.01 Hz omega tau < 3e-3 for the
// slowest time scales here (at 0.25 Hz the imaginary part was still 3-11% of dr/dsigma), so the imaginary part
// must be within 1% of |dr/dsigma|; the real part within 1% as in the mu test: the response's source is the
// continuum -sigma dp0/dV on the grid, not the derivative of the discrete recurrence, and the two differ by
// O(dV) (measured: -0.04%, +0.22%, -0.8%, -0.4% at these points).
// Seen to fail: with the sigma source's 2/sigma factor dropped (eif_fokker_planck.cpp, solve_response) all points
// are off by sigma/2 (the 4 real-part checks fail); with the reinjection at the reset left out of the homogeneous
// part, 8 of the 14 checks of this test and the mu test fail.
TEST_CASE("The rate response to sigma at low frequency equals dr_ss/dsigma of the steady state", "[aln][fokker-planck][analytic]") {
  aln::fp_numerics slow;
  slow.fit_df_Hz = 0.01, slow.fit_f_max_Hz = 0.1, slow.n_fit_frequencies = 0;  // 0.01 ... 0.1 Hz
  const aln::eif_fokker_planck fp(aln::eif_neuron_params{}, slow);
  const double points[][2] = {{0.146132, 3.357143}, {1.292264, 1.928571}, {3.584527, 3.357143}, {5.876791, 4.785714}};
  for (const auto& q : points) {
    const double d = 1e-4;
    const double want = (fp.steady_state(q[0], q[1] + d).rate_Hz - fp.steady_state(q[0], q[1] - d).rate_Hz) / (2 * d);
    const auto lr = fp.response(q[0], q[1]);
    INFO("mu " << q[0] << " sigma " << q[1] << ": r1_sigma(" << lr.f_Hz[0] << " Hz) = " << lr.r1_sigma[0]
               << ", dr/dsigma " << want);
    CHECK(std::abs(lr.r1_sigma[0].real() - want) <= 1e-2 * std::abs(want));
    CHECK(std::abs(lr.r1_sigma[0].imag()) <= 1e-2 * std::abs(want));
  }
}

// dr_ss/dsigma normalises the sigma filter and its sign decides tau_sigma = 0; it is the derivative of the
// discretised steady state carried along the same recurrence (forward mode), so a central difference of two more
// steady states (the authors' way, here with step 1e-4) must agree up to the difference's own O(step^2) error.
// Seen to fail: with the p_k dA_k/dsigma term dropped from the derivative's recurrence, all 6 points fail (4.50
// vs 4.61 at (0.146, 3.36), 34.98 vs 1.28 at (1.29, 1.93); the three at mu >= 2.44 change sign).
TEST_CASE("dr_ss/dsigma of the steady state equals a central difference in sigma", "[aln][fokker-planck][analytic]") {
  const aln::eif_fokker_planck fp(aln::eif_neuron_params{}, aln::fp_numerics{});
  const double points[][2] = {{0.146132, 0.857143}, {0.146132, 3.357143}, {1.292264, 1.928571},
                              {2.438395, 0.857143}, {3.584527, 3.357143}, {5.876791, 4.785714}};
  for (const auto& q : points) {
    const double d = 1e-4;
    const double want = (fp.steady_state(q[0], q[1] + d).rate_Hz - fp.steady_state(q[0], q[1] - d).rate_Hz) / (2 * d);
    const double got = fp.steady_state(q[0], q[1]).dr_dsigma_Hz_per_sigma;
    INFO("mu " << q[0] << " sigma " << q[1] << ": forward mode " << got << ", central difference " << want);
    CHECK(std::abs(got - want) <= 1e-5 * std::abs(want) + 1e-9);
  }
}

// Seen to fail: with locate() not clamping at the top (u > n - 1 kept), a look-up beyond the grid extrapolates
// and the first clamped check fails; with the mu and sigma fractions swapped the off-node check fails.
TEST_CASE("Cascade table look-up is exact at nodes, bilinear between them and clamped outside", "[aln][table]") {
  aln::cascade_grid g;
  g.n_mu = 3, g.n_sigma = 2, g.mu_min_mV_per_ms = 0, g.mu_max_mV_per_ms = 2;
  g.sigma_min_mV_per_sqrt_ms = 1, g.sigma_max_mV_per_sqrt_ms = 3;
  aln::cascade_table t{{}, {}, g, {}, {}, {}, {}};
  // quantity = mu + 10 sigma: a plane, which bilinear interpolation reproduces exactly
  for (auto* q : {&t.r_ss_Hz, &t.v_mean_mV, &t.tau_mu_ms, &t.tau_sigma_ms}) q->resize(6);
  for (int j = 0; j < 2; ++j)
    for (int i = 0; i < 3; ++i) t.r_ss_Hz[t.index(i, j)] = g.mu(i) + 10 * g.sigma(j);
  CHECK(t.lookup(1.0, 3.0).r_ss_Hz == Approx(31.0));
  CHECK(t.lookup(0.25, 1.5).r_ss_Hz == Approx(15.25));
  CHECK(t.lookup(5.0, 9.0).r_ss_Hz == Approx(32.0));   // clamped to (2, 3)
  CHECK(t.lookup(-5.0, 0.0).r_ss_Hz == Approx(10.0));  // clamped to (0, 1)
  CHECK_FALSE(t.in_range(5.0, 2.0));
}

// Seen to fail: with the key leaving out t_ref_ms, a table for another t_ref was read from the cache.
TEST_CASE("Cascade tables are cached on disk under a key of their parameters", "[aln][table][cache]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("cortexloop_aln_cache_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  aln::cascade_grid g;
  g.n_mu = 4, g.n_sigma = 2, g.mu_min_mV_per_ms = 0.5, g.mu_max_mV_per_ms = 2.0;
  g.sigma_min_mV_per_sqrt_ms = 1.0, g.sigma_max_mV_per_sqrt_ms = 2.0;
  aln::fp_numerics num;
  num.n_fit_frequencies = 20;
  aln::eif_neuron_params p;
  const auto first = cortexloop::io::load_or_generate_cascade_table(dir, p, num, g, 1);
  CHECK(first.generated);
  const auto second = cortexloop::io::load_or_generate_cascade_table(dir, p, num, g, 1);
  CHECK_FALSE(second.generated);
  CHECK(second.table.r_ss_Hz == first.table.r_ss_Hz);
  CHECK(second.table.tau_sigma_ms == first.table.tau_sigma_ms);
  p.t_ref_ms = 2.0;  // another neuron: another file, a new table
  const auto other = cortexloop::io::load_or_generate_cascade_table(dir, p, num, g, 1);
  CHECK(other.generated);
  CHECK(other.file != first.file);
  CHECK(other.table.r_ss_Hz[5] < first.table.r_ss_Hz[5]);
  // a file of other parameters under the wrong name is refused, naming the key
  fs::copy_file(other.file, first.file, fs::copy_options::overwrite_existing);
  CHECK_THROWS_WITH(cortexloop::io::load_or_generate_cascade_table(dir, aln::eif_neuron_params{}, num, g, 1),
                    Catch::Contains("differs from the parameters' key"));
  fs::remove_all(dir);
}

// The cache file's contents are checked (an outside audit, 2026-12-07: a file with every r_ss doubled, or with 100
// NaNs, was read without a word; a truncated one was refused without saying what to do). References are this test's
// own: the file's layout (cascade_cache.hpp) and FNV-1a 64 computed here byte by byte, not by the code under test.
// Seen to fail: the checksum comparison in load_cascade_table removed -> "one value changed" and "the cache refuses
// it" (the altered tables loaded), "NaN, checksum not updated" (refused as not finite instead); the finiteness check
// removed -> "NaN, checksum updated"; the fix left out of the refusals -> all 7 refusals; save_cascade_table writing
// a checksum of 0 -> "written with its checksum", "an intact file loads" and the cache test above.
TEST_CASE("A cached table whose contents are not what was written is refused, naming the file and the fix",
          "[aln][table][cache]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("cortexloop_aln_check_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  aln::cascade_grid g;
  g.n_mu = 3, g.n_sigma = 2;
  const aln::eif_neuron_params p;
  const aln::fp_numerics num;
  aln::cascade_table t{p, num, g, {}, {}, {}, {}};
  double value = 0.25;  // 24 distinct values, in file order
  for (auto* q : {&t.r_ss_Hz, &t.v_mean_mV, &t.tau_mu_ms, &t.tau_sigma_ms})
    for (int k = 0; k < 6; ++k) q->push_back(value *= 1.5);
  const fs::path file = cortexloop::io::cascade_table_file(dir, p, num, g);
  cortexloop::io::save_cascade_table(t, file);
  auto read = [&] {
    std::ifstream in(file, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), {});
  };
  auto write = [&](const std::vector<char>& b) {
    std::ofstream(file, std::ios::binary | std::ios::trunc).write(b.data(), static_cast<std::streamsize>(b.size()));
  };
  auto fnv = [](const char* p, std::size_t n) {
    std::uint64_t h = 14695981039346656037ull;
    for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
    return h;
  };
  constexpr std::size_t header = 40, values = 4 * 6 * sizeof(double);
  auto set_checksum = [&](std::vector<char>& b) {
    const std::uint64_t h = fnv(b.data() + header, b.size() - header);
    std::memcpy(b.data() + 32, &h, sizeof h);
  };
  auto load = [&] { return cortexloop::io::load_cascade_table(file, p, num, g); };
  auto refused = [&](const std::string& what) {
    using Catch::Contains;
    CHECK_THROWS_WITH(load(), Contains(file.string() + ": " + what) && Contains("delete this file") &&
                                  Contains("`cortexloop aln-table --force --cache-dir " + dir.string() + "`"));
  };
  const std::vector<char> good = read();
  SECTION("written with its checksum") {
    REQUIRE(good.size() == header + values);
    CHECK(std::string(good.data(), 8) == "CLALNCT2");
    std::uint64_t stored;
    std::memcpy(&stored, good.data() + 32, sizeof stored);
    CHECK(stored == fnv(good.data() + header, values));
  }
  SECTION("an intact file loads") {
    const aln::cascade_table back = load();
    CHECK(back.r_ss_Hz == t.r_ss_Hz);
    CHECK(back.tau_sigma_ms == t.tau_sigma_ms);
    CHECK(cortexloop::io::cascade_table_checksum(back) == fnv(good.data() + header, values));
  }
  SECTION("one value changed") {
    std::vector<char> b = good;
    double v;
    std::memcpy(&v, b.data() + header + 2 * sizeof v, sizeof v);
    v *= 2;  // r_ss at (mu 2, sigma 0)
    std::memcpy(b.data() + header + 2 * sizeof v, &v, sizeof v);
    write(b);
    refused("its values do not match its checksum");
  }
  SECTION("NaN, checksum not updated") {
    std::vector<char> b = good;
    const double nan = std::nan("");
    std::memcpy(b.data() + header + 7 * sizeof nan, &nan, sizeof nan);
    write(b);
    refused("its values do not match its checksum");
  }
  SECTION("NaN, checksum updated") {
    std::vector<char> b = good;
    const double nan = std::nan(""), inf = HUGE_VAL;
    std::memcpy(b.data() + header + 13 * sizeof nan, &nan, sizeof nan);  // tau_mu_ms
    std::memcpy(b.data() + header + 14 * sizeof inf, &inf, sizeof inf);
    set_checksum(b);
    write(b);
    refused("2 tau_mu_ms values are not finite");
  }
  SECTION("truncated") {
    write({good.begin(), good.end() - 8});
    refused("truncated (a table of 2 x 3 points is 232 bytes)");
    write({good.begin(), good.begin() + 30});
    refused("truncated in its header");
  }
  SECTION("too long") {
    std::vector<char> b = good;
    b.push_back(0);
    write(b);
    refused("longer than a table of 2 x 3 points (232 bytes)");
  }
  SECTION("the format before the checksum") {
    std::vector<char> b = good;
    b[7] = '1';
    write(b);
    refused("a table of an older format, without a checksum");
  }
  SECTION("the cache refuses it rather than use it") {
    std::vector<char> b = good;
    b[header] ^= 1;
    write(b);
    CHECK_THROWS_WITH(cortexloop::io::load_or_generate_cascade_table(dir, p, num, g, 1),
                      Catch::Contains("do not match its checksum"));
  }
  fs::remove_all(dir);
}

TEST_CASE("Bad EIF cascade parameters are refused with the field's name", "[aln][validation]") {
  aln::eif_neuron_params p;
  p.v_r_mV = -30;
  CHECK_THROWS_WITH(aln::eif_fokker_planck(p, {}), Catch::Contains("v_r_mV"));
  p = {};
  p.v_r_mV = -70.005;  // not on the 0.01 mV grid
  CHECK_THROWS_WITH(aln::eif_fokker_planck(p, {}), Catch::Contains("v_r_mV"));
  p = {};
  p.g_l_nS = 0;
  CHECK_THROWS_WITH(aln::eif_fokker_planck(p, {}), Catch::Contains("g_l_nS"));
  aln::fp_numerics n;
  n.d_v_mV = 0.07;  // the fine part (V_r - 30 mV .. V_cut, 60 mV) is not a whole number of steps
  CHECK_THROWS_WITH(aln::eif_fokker_planck({}, n), Catch::Contains("d_v_mV"));
  n = {};
  n.d_v_coarse_mV = 0.3;  // 100 mV below V_r - 30 mV is not a whole number of 0.3 mV steps
  CHECK_THROWS_WITH(aln::eif_fokker_planck({}, n), Catch::Contains("d_v_coarse_mV"));
  // A grid past 200,000 points is refused before it is allocated (1e-7 mV asked for 3e8 points: std::bad_alloc).
  // Break tried: the bound removed -> bad_alloc, not this message.
  n = {};
  n.d_v_mV = 1e-7;
  CHECK_THROWS_WITH(aln::eif_fokker_planck({}, n), Catch::Contains("voltage points") && Catch::Contains("d_v_mV"));
  n.d_v_mV = 1e-300;  // span / step beyond any int: refused by the same bound, not an overflowed lround
  CHECK_THROWS_WITH(aln::eif_fokker_planck({}, n), Catch::Contains("voltage points"));
  const aln::eif_fokker_planck fp({}, {});
  CHECK_THROWS_WITH(fp.steady_state(1.0, 0.0), Catch::Contains("sigma_mV_per_sqrt_ms"));
  aln::cascade_grid g;
  g.n_mu = 1;
  CHECK_THROWS_WITH(aln::generate_cascade_table({}, {}, g, 1), Catch::Contains("n_mu"));
}

// The solver's density leaves double's range one way or the other, and its refusal says which: "(sigma too small for
// this grid?)" was given for sigma = 5e+299 too, whose density underflowed to 0 (an outside audit, 2026-12-06).
// Reference: the density grows as exp(-(2 / sigma^2) x the drift's integral down the grid), about exp((V_cut -
// E_L)^2 / (sigma^2 tau_m)) here: with tau_m = 1 pF / 1e6 nS = 1e-6 ms it overflows at the default grid's sigma 0.5; at sigma 1e300 the (2 / sigma^2) factor of every step underflows. Fails
// with every such density called an overflow, as before (tried: "overflowed" for sigma = 1e300).
TEST_CASE("the solver's out-of-range density is called an overflow or an underflow as it was", "[aln][validation]") {
  aln::eif_neuron_params fast;
  fast.c_pF = 1.0;
  fast.g_l_nS = 1e6;
  const aln::eif_fokker_planck stiff(fast, {});
  CHECK_THROWS_WITH(stiff.steady_state(-1.0, 0.5),
                    Catch::Contains("density overflowed at mu = -1 mV/ms, sigma = 0.5") &&
                        Catch::Contains("the noise is too weak") && !Catch::Contains("too small"));
  const aln::eif_fokker_planck fp({}, {});
  CHECK_THROWS_WITH(fp.steady_state(1.0, 1e300), Catch::Contains("density underflowed to 0 at mu = 1 mV/ms, sigma = 1e+300") &&
                                                     Catch::Contains("the noise is too strong") &&
                                                     !Catch::Contains("too small") && !Catch::Contains("too weak"));
  CHECK_NOTHROW(fp.steady_state(1.0, 100.0));  // the table's largest sigma (kCascadeSigma_mV_per_sqrt_ms)
}
