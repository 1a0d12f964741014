#include "engine/plasticity/rate_effect.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <numbers>
#include <thread>

#include "engine/random/philox.hpp"

namespace cortexloop::engine::plasticity {

namespace {

// The smallest k with u < cdf[k].
std::uint32_t invert(const std::vector<double>& cdf, double u) noexcept {
  const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
  return static_cast<std::uint32_t>(std::min<std::ptrdiff_t>(it - cdf.begin(), std::ssize(cdf) - 1));
}

// A uniform in [0, 1) and one in (0, 1] from 32 bits.
double uniform_co(std::uint32_t x) noexcept { return x * 0x1p-32; }
double uniform_oc(std::uint32_t x) noexcept { return (static_cast<double>(x) + 1.0) * 0x1p-32; }

// The presynaptic train of the notebook: a spike every int(1000 / rate) ms from t = 0, as a step count.
struct regular_train {
  std::int64_t period_steps;
  regular_train(double rate_Hz, double dt_ms)
      : period_steps(std::max<std::int64_t>(1, std::llround(std::floor(1000.0 / rate_Hz) / dt_ms))) {}
  bool fires(std::int64_t step) const noexcept { return step % period_steps == 0; }
};

// One LIF cell and the plastic synapses observing it ([0] excitatory, [1] inhibitory) of each rule.
struct cell {
  explicit cell(const rate_effect_params& p)
      : v_mV(p.neuron.v_rest_mV),
        vdp{vdp_synapse(p.vdp, p.w_initial), vdp_synapse(p.vdp, p.w_initial)},
        clopath{lowpass_synapse(lowpass_rule::clopath, p.clopath, p.w_initial),
                lowpass_synapse(lowpass_rule::clopath, p.clopath, p.w_initial)},
        mb{lowpass_synapse(lowpass_rule::meissner_bernard, p.meissner_bernard, p.w_initial),
           lowpass_synapse(lowpass_rule::meissner_bernard, p.meissner_bernard, p.w_initial)} {}
  // The weight of rule r (kRuleNames' order) on synapse kind.
  double w(int r, int kind) const noexcept {
    return r == 0 ? vdp[kind].w() : r == 1 ? clopath[kind].w() : mb[kind].w();
  }
  double v_mV, g_exc = 0, g_inh = 0;
  std::int64_t last_spike = -(std::int64_t{1} << 40);  // long before the run: not refractory at its start
  std::uint64_t spikes = 0;
  vdp_synapse vdp[2];
  lowpass_synapse clopath[2], mb[2];
};

}  // namespace

// The CDF of Binomial(n, p), up to where what is left is below 2^-40 (far under the 2^-32 resolution of the
// uniform that inverts it): the count of a cell's n Poisson sources that spike in one step, each with p = rate dt
// (Brian2's PoissonGroup draws each source's spike with that probability). Each term from its logarithm: the
// recursion from (1 - p)^n underflowed to 0 for n (-ln(1 - p)) > ~745 (n = 100000 sources at 80 Hz: every source
// then fired every step; an outside check, 2026-12-05).
std::vector<double> binomial_cdf(std::uint32_t n, double p) {
  if (!(p > 0.0)) return {1.0};
  if (p >= 1.0) {  // every source every step (a rate of exactly 1/dt): the count is n
    std::vector<double> cdf(n + 1, 0.0);
    cdf[n] = 1.0;
    return cdf;
  }
  const double log_p = std::log(p), log_q = std::log1p(-p), mean = static_cast<double>(n) * p;
  std::vector<double> cdf;
  double sum = 0.0;
  for (std::uint32_t k = 0; k <= n; ++k) {
    const double nk = static_cast<double>(n - k), kk = static_cast<double>(k);
    const double pk =
        std::exp(std::lgamma(n + 1.0) - std::lgamma(kk + 1.0) - std::lgamma(nk + 1.0) + kk * log_p + nk * log_q);
    sum += pk;
    cdf.push_back(sum);
    // Past the mean the terms only fall: stop once they are below 2^-40 of the total. (A test on 1 - sum never
    // passed where the sum's rounding left it short of 1, and the loop ran to k = n.)
    if (kk > mean && pk < 0x1p-40 * sum) break;
  }
  for (double& c : cdf) c /= sum;  // the tail left out, and the sum's rounding, spread over the kept counts
  cdf.back() = 1.0;
  return cdf;
}

rate_effect_point run_rate_effect_point(const rate_effect_params& p, double e_rate_Hz, double i_rate_Hz,
                                        std::uint64_t cell_offset) {
  const lif_params& nu = p.neuron;
  const double dt = p.dt_ms;
  const auto steps = static_cast<std::int64_t>(std::llround(p.duration_ms / dt));
  // Brian2's timestep(): t / dt rounded down, with a tolerance of 1e-3 step for times that are whole steps in
  // decimal but not in binary (3 ms at 0.1 ms).
  const auto ref_steps = static_cast<std::int64_t>(std::floor(nu.t_ref_ms / dt + 1e-3));
  const std::vector<double> cdf_e = binomial_cdf(p.n_inputs, e_rate_Hz * dt / 1000.0),
                            cdf_i = binomial_cdf(p.n_inputs, i_rate_Hz * dt / 1000.0);
  const regular_train train[2] = {regular_train(e_rate_Hz, dt), regular_train(i_rate_Hz, dt)};
  const double noise_mV = nu.noise_sigma_mV * std::sqrt(dt / nu.tau_m_ms);  // sigma tau^-1/2 sqrt(dt)
  const double keep_e = 1.0 - dt / nu.tau_syn_exc_ms, keep_i = 1.0 - dt / nu.tau_syn_inh_ms;
  const philox_key key = philox_key::from_seed(p.seed);
  const std::int64_t sample_every = std::max<std::int64_t>(1, std::llround(1.0 / dt));
  const std::int64_t warmup = steps * dt > 1000.0 ? std::llround(1000.0 / dt) : 0;

  std::vector<cell> cells;
  cells.reserve(p.runs);
  for (std::uint32_t r = 0; r < p.runs; ++r) cells.emplace_back(p);
  double v_sum = 0, v_sum2 = 0;
  std::int64_t v_samples = 0;
  for (std::int64_t k = 0; k < steps; ++k) {
    const bool pre[2] = {train[0].fires(k), train[1].fires(k)};
    const bool sample = k >= warmup && k % sample_every == 0;
    double v_pop = 0;
    for (std::uint32_t r = 0; r < p.runs; ++r) {
      cell& c = cells[r];
      // One Philox block per cell and step: its excitatory count, its inhibitory count, its noise (Box-Muller).
      const philox_block b = philox4x32(
          {{static_cast<std::uint32_t>(cell_offset + r), static_cast<std::uint32_t>(k),
            static_cast<std::uint32_t>(static_cast<std::uint64_t>(k) >> 32),
            static_cast<std::uint32_t>(random_stream::plasticity_cells)}},
          key);
      const double v0 = c.v_mV;
      for (vdp_synapse& s : c.vdp) s.step(v0, dt);
      if (k - c.last_spike >= ref_steps) {  // Brian2's not_refractory: (t - lastspike) >= t_ref in steps
        const double normal = std::sqrt(-2.0 * std::log(uniform_oc(b.x[2]))) *
                              std::cos(2.0 * std::numbers::pi * uniform_co(b.x[3]));
        c.v_mV = v0 + dt / nu.tau_m_ms *
                          ((nu.v_rest_mV - v0) - c.g_exc * (v0 - nu.e_exc_mV) - c.g_inh * (v0 - nu.e_inh_mV)) +
                 noise_mV * normal;
      }
      c.g_exc *= keep_e;
      c.g_inh *= keep_i;
      for (lowpass_synapse& s : c.clopath) s.step(c.v_mV, dt);
      for (lowpass_synapse& s : c.mb) s.step(c.v_mV, dt);
      const bool spiked = c.v_mV > nu.v_thresh_mV && k - c.last_spike >= ref_steps;
      c.g_exc += nu.g_exc_per_spike * invert(cdf_e, uniform_co(b.x[0]));
      c.g_inh += nu.g_inh_per_spike * invert(cdf_i, uniform_co(b.x[1]));
      for (int kind = 0; kind < 2; ++kind)
        if (pre[kind]) {
          c.vdp[kind].on_pre();
          c.clopath[kind].on_pre();
          c.mb[kind].on_pre();
        }
      if (spiked) {
        c.v_mV = nu.v_rest_mV;
        c.last_spike = k;
        ++c.spikes;
      }
      v_pop += c.v_mV;
    }
    if (sample) {
      v_pop /= p.runs;
      v_sum += v_pop;
      v_sum2 += v_pop * v_pop;
      ++v_samples;
    }
  }

  rate_effect_point out;
  out.e_rate_Hz = e_rate_Hz;
  out.i_rate_Hz = i_rate_Hz;
  const double seconds = static_cast<double>(steps) * dt / 1000.0;
  auto mean_sd = [&](auto value, double& mean, double& sd) {
    double s = 0, s2 = 0;
    for (const cell& c : cells) {
      const double x = value(c);
      s += x;
      s2 += x * x;
    }
    const double n = static_cast<double>(cells.size());
    mean = s / n;
    sd = n > 1 ? std::sqrt(std::max(0.0, (s2 - s * s / n) / (n - 1))) : 0.0;
  };
  mean_sd([&](const cell& c) { return static_cast<double>(c.spikes) / seconds; }, out.rate_Hz, out.rate_sd_Hz);
  const double w0 = p.w_initial;
  for (int r = 0; r < kRules; ++r)
    for (int kind = 0; kind < 2; ++kind)
      mean_sd([&](const cell& c) { return (c.w(r, kind) - w0) / w0 * 100.0 + 100.0; }, out.weight_pct[r][kind],
              out.weight_sd_pct[r][kind]);
  if (v_samples > 0) {
    out.mean_v_mV = v_sum / v_samples;
    out.sd_v_mV = std::sqrt(std::max(0.0, v_sum2 / v_samples - out.mean_v_mV * out.mean_v_mV));
  }
  return out;
}

std::vector<rate_effect_point> run_rate_effect_grid(const rate_effect_params& p, unsigned threads,
                                                    const std::function<void(std::size_t, std::size_t)>& progress,
                                                    const std::function<bool()>& stop) {
  const std::size_t n_e = p.e_rates_Hz.size(), total = n_e * p.i_rates_Hz.size();
  std::vector<rate_effect_point> out(total);
  for (std::size_t k = 0; k < total; ++k) {  // where each point is, also when it does not run
    out[k].e_rate_Hz = p.e_rates_Hz[k % n_e];
    out[k].i_rate_Hz = p.i_rates_Hz[k / n_e];
  }
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  std::mutex m;
  auto work = [&] {
    for (std::size_t k; !(stop && stop()) && (k = next.fetch_add(1)) < total;) {
      out[k] = run_rate_effect_point(p, p.e_rates_Hz[k % n_e], p.i_rates_Hz[k / n_e], k * p.runs);
      out[k].ran = true;
      const std::lock_guard lock(m);
      ++done;
      if (progress) progress(done, total);
    }
  };
  std::vector<std::jthread> pool;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) pool.emplace_back(work);
  work();
  return out;
}

}  // namespace cortexloop::engine::plasticity
