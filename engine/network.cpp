#include "engine/network.hpp"

#include <algorithm>
#include <future>

#include "engine/philox.hpp"

namespace cortexloop::engine {

std::vector<std::uint32_t> partition_bounds(std::uint32_t n, unsigned parts) {
  const std::uint64_t units = (static_cast<std::uint64_t>(n) + kPartitionAlign - 1) / kPartitionAlign;
  std::vector<std::uint32_t> bounds(parts + 1u);
  for (unsigned k = 0; k <= parts; ++k)
    bounds[k] = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, units * k / parts * kPartitionAlign));
  return bounds;
}

namespace {
std::vector<partition> make_partitions(std::uint32_t n, double p_connect, std::uint64_t seed, unsigned parts) {
  // The synapse tables are most of the start-up time (10^8 synapses at 200k cells): one thread per partition.
  const std::vector<std::uint32_t> bounds = partition_bounds(n, parts);
  std::vector<std::future<incoming_synapses>> built;
  for (unsigned k = 0; k < parts; ++k)
    built.push_back(std::async(std::launch::async, [=] {
      return incoming_synapses(n, bounds[k], bounds[k + 1], p_connect, seed);
    }));
  std::vector<partition> out;
  out.reserve(parts);
  for (auto& f : built) out.emplace_back(f.get());
  return out;
}
}  // namespace

network::network(const network_params& p, double dt_ms, std::uint64_t seed, unsigned threads, int first_cpu)
    : drive_(p.drive, p.q_exc_nS, dt_ms, random_stream::drive, seed),
      afferent_(drive_params{0.0, p.drive.k_exc, 0.0}, p.q_exc_nS, dt_ms, random_stream::afferent, seed),
      parts_(make_partitions(static_cast<std::uint32_t>(p.n_neurons), p.p_connect, seed, std::max(1u, threads))),
      pool_(std::max(1u, threads), first_cpu) {
  const auto n = static_cast<std::uint32_t>(p.n_neurons);
  model_.n = n;
  model_.n_exc = static_cast<std::uint32_t>(p.n_exc());
  model_.exc = adex_derived::from(p.exc, dt_ms);
  model_.inh = adex_derived::from(p.inh, dt_ms);
  model_.syn = synapse_derived::from(p, dt_ms);
  model_.q_exc_nS = static_cast<float>(p.q_exc_nS);
  model_.q_inh_nS = static_cast<float>(p.q_inh_nS);
  model_.drive = &drive_;
  model_.afferent = &afferent_;
  state_.v_mV.resize(n);
  state_.w_pA.assign(n, 0.0f);
  state_.g_exc_nS.assign(n, 0.0f);
  state_.g_inh_nS.assign(n, 0.0f);
  state_.ref_left.assign(n, 0);
  state_.spiked.assign(n, 0);
  state_.spike_ids.assign(n, 0);  // every neuron may spike in one step
  const philox_key key = philox_key::from_seed(seed);
  for (std::uint32_t i = 0; i < n; ++i) {
    const adex_params& cell = i < model_.n_exc ? p.exc : p.inh;
    const double u =
        p.v_init == v_init_mode::uniform ? philox_unit(key, i, random_stream::initial_state) : 0.0;
    state_.v_mV[i] = static_cast<float>(cell.e_l_mV + u * (cell.v_t_mV - cell.e_l_mV));
  }
}

void network::update_task(void* self, unsigned worker) noexcept {
  auto& net = *static_cast<network*>(self);
  net.parts_[worker].update(net.model_, net.state_, net.inputs_);
}

void network::deliver_task(void* self, unsigned worker) noexcept {
  auto& net = *static_cast<network*>(self);
  net.parts_[worker].deliver(net.model_, net.state_, net.parts_);
}

void network::step(std::int64_t step_index, float i_stim_exc_pA, float i_stim_inh_pA,
                   network_counts& counts) noexcept {
  inputs_ = {step_index, i_stim_exc_pA, i_stim_inh_pA};
  pool_.run(&update_task, this);
  pool_.run(&deliver_task, this);  // after the barrier: every partition's spikes are listed
  for (const partition& part : parts_) {
    counts.spikes_exc += part.spikes_exc();
    counts.spikes_inh += part.spikes_inh();
    counts.diverged += part.diverged();
  }
}

adex_state_sums network::sum_range(std::uint32_t begin, std::uint32_t end) const noexcept {
  // Float sums over blocks fixed in absolute index, added in double in block order.
  constexpr std::uint32_t kBlock = 1024;
  adex_state_sums total;
  auto& s = const_cast<network_state&>(state_);
  for (std::uint32_t b = begin; b < end;) {
    const std::uint32_t e = std::min(end, (b / kBlock + 1) * kBlock);
    const adex_state_view v{s.v_mV.data() + b, s.w_pA.data() + b, s.g_exc_nS.data() + b, s.g_inh_nS.data() + b,
                            s.ref_left.data() + b, s.spiked.data() + b, static_cast<std::size_t>(e - b)};
    const adex_state_sums part = adex_sum(model_.syn, v);
    total.v_mV += part.v_mV;
    total.w_pA += part.w_pA;
    total.abs_syn_pA += part.abs_syn_pA;
    b = e;
  }
  return total;
}

adex_state_sums network::sum_exc() const noexcept { return sum_range(0, model_.n_exc); }
adex_state_sums network::sum_inh() const noexcept { return sum_range(model_.n_exc, model_.n); }

std::uint64_t network::drive_events() const noexcept {
  std::uint64_t events = 0;
  for (const partition& part : parts_) events += part.drive_events();
  return events;
}

std::uint64_t network::n_synapses() const noexcept {
  std::uint64_t synapses = 0;
  for (const partition& part : parts_) synapses += part.synapses().n_synapses();
  return synapses;
}

}  // namespace cortexloop::engine
