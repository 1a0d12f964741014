#include "engine/network.hpp"

#include <algorithm>
#include <cstring>

#include "engine/rng.hpp"

namespace cortexloop::engine {

namespace {
// Independent streams for the three random parts, all from the one user seed.
struct seeds {
  std::uint64_t connectivity, drive, initial_state, afferent;
  explicit seeds(std::uint64_t seed) {
    connectivity = splitmix64(seed);
    drive = splitmix64(seed);
    initial_state = splitmix64(seed);
    afferent = splitmix64(seed);
  }
};
}  // namespace

network::network(const network_params& p, double dt_ms, std::uint64_t seed)
    : n_(static_cast<std::uint32_t>(p.n_neurons)),
      n_exc_(static_cast<std::uint32_t>(p.n_exc())),
      dt_ms_(dt_ms),
      exc_(adex_derived::from(p.exc, dt_ms)),
      inh_(adex_derived::from(p.inh, dt_ms)),
      syn_(synapse_derived::from(p, dt_ms)),
      q_exc_nS_(static_cast<float>(p.q_exc_nS)),
      q_inh_nS_(static_cast<float>(p.q_inh_nS)),
      conn_(n_, p.p_connect, seeds(seed).connectivity),
      drive_(p.drive, p.q_exc_nS, dt_ms, static_cast<std::size_t>(p.n_neurons), seeds(seed).drive),
      afferent_(drive_params{0.0, p.drive.k_exc, 0.0}, p.q_exc_nS, dt_ms, static_cast<std::size_t>(p.n_exc()),
                seeds(seed).afferent),
      v_(n_), w_(n_, 0.0f), g_exc_(n_, 0.0f), g_inh_(n_, 0.0f), ref_left_(n_, 0), spiked_(n_, 0), spikes_(n_) {
  scalar_rng rng(seeds(seed).initial_state);
  for (std::uint32_t i = 0; i < n_; ++i) {
    const adex_params& cell = i < n_exc_ ? p.exc : p.inh;
    const double u = p.v_init == v_init_mode::uniform ? rng.uniform() : 0.0;
    v_[i] = static_cast<float>(cell.e_l_mV + u * (cell.v_t_mV - cell.e_l_mV));
  }
}

adex_state_view network::view(std::uint32_t begin, std::uint32_t end) noexcept {
  return {v_.data() + begin, w_.data() + begin, g_exc_.data() + begin, g_inh_.data() + begin,
          ref_left_.data() + begin, spiked_.data() + begin, static_cast<std::size_t>(end - begin)};
}

void network::step(std::int64_t step_index, float i_stim_exc_pA, float i_stim_inh_pA,
                   network_counts& counts) noexcept {
  const double t_ms = static_cast<double>(step_index) * dt_ms_;
  if (afferent_.rate_Hz() > 0.0) afferent_.apply(t_ms, g_exc_.data(), n_exc_);
  const drive_draws all = drive_.draw(t_ms);
  const drive_draws inh_part{all.draw + n_exc_, all.threshold, all.always, all.q_nS};
  adex_step(exc_, syn_, i_stim_exc_pA, view(0, n_exc_), &all);
  adex_step(inh_, syn_, i_stim_inh_pA, view(n_exc_, n_), &inh_part);
  collect_spikes(counts);
  propagate_spikes();
}

adex_state_sums network::sum_exc() const noexcept { return adex_sum(syn_, view(0, n_exc_)); }
adex_state_sums network::sum_inh() const noexcept { return adex_sum(syn_, view(n_exc_, n_)); }

void network::collect_spikes(network_counts& counts) noexcept {
  // Events are rare (~0.1% of cells per step): skip eight quiet cells per 64-bit load.
  std::size_t count = 0;
  std::int64_t diverged = 0;
  auto visit = [&](std::uint32_t i) {
    if (spiked_[i] == kSpiked) spikes_[count++] = i;
    diverged += spiked_[i] == kDiverged;
  };
  std::uint32_t i = 0;
  for (; i + 8 <= n_; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, spiked_.data() + i, sizeof word);
    if (word == 0) continue;
    for (std::uint32_t k = 0; k < 8; ++k) visit(i + k);
  }
  for (; i < n_; ++i) visit(i);
  n_last_spikes_ = count;
  // Spikes are listed in index order, so the excitatory ones come first.
  const auto first_inh = std::lower_bound(spikes_.begin(), spikes_.begin() + static_cast<std::ptrdiff_t>(count), n_exc_);
  const auto n_exc_spikes = static_cast<std::int64_t>(first_inh - spikes_.begin());
  counts.spikes_exc += n_exc_spikes;
  counts.spikes_inh += static_cast<std::int64_t>(count) - n_exc_spikes;
  counts.diverged += diverged;
}

void network::propagate_spikes() noexcept {
  for (std::size_t k = 0; k < n_last_spikes_; ++k) {
    const std::uint32_t pre = spikes_[k];
    // The synapse table (~20 MB at 10k cells) is far larger than the caches and each spike visits a random
    // row: start fetching the next spike's row while this one is being added.
    if (k + 1 < n_last_spikes_) {
      const auto next = conn_.targets_of(spikes_[k + 1]);
      for (std::size_t line = 0; line < next.size(); line += 16) __builtin_prefetch(next.data() + line);
    }
    const bool excitatory = pre < n_exc_;
    float* g = excitatory ? g_exc_.data() : g_inh_.data();
    const float q = excitatory ? q_exc_nS_ : q_inh_nS_;
    for (const std::uint32_t post : conn_.targets_of(pre)) g[post] += q;
  }
}

}  // namespace cortexloop::engine
