#include "engine/meanfield/single_neuron.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "engine/cells/adex.hpp"
#include "engine/random/rng.hpp"
#include "engine/units.hpp"

namespace cortexloop::engine::meanfield {

namespace {

// Poisson(lambda) counts from 32-bit uniforms by inversion: count = #{k : u >= 2^32 CDF(k)}. The table stops
// where the remaining tail is below 2^-32, the resolution of u.
class poisson_table {
 public:
  explicit poisson_table(double lambda) {
    double pk = std::exp(-lambda), cdf = pk;
    for (int k = 0; k < 256 && 1.0 - cdf > 0x1.0p-32; ++k) {
      thresholds_.push_back(static_cast<std::uint32_t>(std::min(cdf * 4294967296.0, 4294967295.0)));
      pk *= lambda / (k + 1);
      cdf += pk;
    }
  }
  // Adds q * count to g[0, n) using the uniforms u[0, n).
  void add(const std::uint32_t* __restrict u, float* __restrict g, float q, std::size_t n) const noexcept {
    const std::uint32_t* t = thresholds_.data();
    const std::size_t m = thresholds_.size();
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t count = 0;
      for (std::size_t k = 0; k < m; ++k) count += u[i] >= t[k] ? 1u : 0u;
      g[i] += q * static_cast<float>(count);
    }
  }
  bool empty() const noexcept { return thresholds_.empty(); }

 private:
  std::vector<std::uint32_t> thresholds_;
};

}  // namespace

single_neuron_result simulate_single_neurons(const adex_params& cell_in, const network_params& net, double dt_ms,
                                             double fe_Hz, double fi_Hz, const single_neuron_options& o,
                                             double i_pA) {
  adex_params cell = cell_in;
  if (!o.adaptation) {
    cell.a_nS = 0.0;  // no adaptation: the mean field adds W itself
    cell.b_pA = 0.0;
  }
  const adex_derived d = adex_derived::from(cell, dt_ms);
  const synapse_derived syn = synapse_derived::from(net, dt_ms);
  // Whole blocks of the generator's lanes.
  const std::size_t n = (static_cast<std::size_t>(o.n_cells) + lane_rng::kLanes - 1) / lane_rng::kLanes * lane_rng::kLanes;
  std::vector<float> v(n), w(n, 0.0f), ge(n, 0.0f), gi(n, 0.0f);
  std::vector<std::int32_t> ref(n, 0);
  std::vector<std::uint8_t> spiked(n, 0);
  std::vector<std::uint32_t> u(n);
  std::uint64_t seed = o.seed;
  scalar_rng init(splitmix64(seed));
  lane_rng rng_e(splitmix64(seed)), rng_i(splitmix64(seed));
  for (auto& x : v) x = static_cast<float>(cell.e_l_mV + init.uniform() * (cell.v_t_mV - cell.e_l_mV));

  const double drive_p = std::clamp(o.bernoulli_drive_Hz * dt_ms / kMsPerS, 0.0, 1.0);
  const double poisson_fe_Hz = std::max(fe_Hz - o.bernoulli_drive_Hz, 0.0);
  const poisson_table exc(poisson_fe_Hz * dt_ms / kMsPerS), inh(std::max(fi_Hz, 0.0) * dt_ms / kMsPerS);
  const auto drive_threshold = static_cast<std::uint32_t>(std::min(drive_p * 4294967296.0, 4294967295.0));
  lane_rng rng_d(splitmix64(seed));
  const adex_state_view view{v.data(), w.data(), ge.data(), gi.data(), ref.data(), spiked.data(), n};
  const auto warmup = static_cast<std::int64_t>(std::llround(o.warmup_ms / dt_ms));
  const auto total = warmup + static_cast<std::int64_t>(std::llround(o.duration_ms / dt_ms));
  single_neuron_result r;
  double w_sum = 0;
  std::int64_t w_samples = 0;
  for (std::int64_t step = 0; step < total; ++step) {
    // Input events land on the conductances before the integration, as the network's drive does.
    rng_e.fill(u.data(), n);
    exc.add(u.data(), ge.data(), static_cast<float>(net.q_exc_nS), n);
    rng_i.fill(u.data(), n);
    inh.add(u.data(), gi.data(), static_cast<float>(net.q_inh_nS), n);
    if (drive_p > 0.0) {
      rng_d.fill(u.data(), n);
      const auto q = static_cast<float>(net.q_exc_nS);
      for (std::size_t i = 0; i < n; ++i) ge[i] += u[i] < drive_threshold ? q : 0.0f;
    }
    adex_step(d, syn, static_cast<float>(i_pA), view);
    if (step < warmup) continue;
    std::int32_t spikes = 0, bad = 0;
    for (std::size_t i = 0; i < n; ++i) {
      spikes += spiked[i] == kSpiked;
      bad += spiked[i] == kDiverged;
    }
    if (o.adaptation && step % 10 == 0) {
      double sw = 0;
      for (std::size_t i = 0; i < n; ++i) sw += w[i];
      w_sum += sw / static_cast<double>(n);
      ++w_samples;
    }
    r.spikes += spikes;
    r.diverged += bad;
  }
  r.rate_Hz = static_cast<double>(r.spikes) / (static_cast<double>(n) * o.duration_ms / kMsPerS);
  r.mean_w_pA = w_samples ? w_sum / static_cast<double>(w_samples) : 0.0;
  return r;
}

}  // namespace cortexloop::engine::meanfield
