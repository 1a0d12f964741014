#pragma once
// Fixed-probability random connectivity (Zerlaut et al. 2018): every ordered pair (pre, post), pre != post,
// is connected independently with probability p. Stored as compressed rows by presynaptic neuron so a spike
// visits its targets contiguously.
#include <cstdint>
#include <span>
#include <vector>

namespace cortexloop::engine {

class connectivity {
 public:
  // Builds in O(number of synapses) by geometric skipping over absent pairs.
  connectivity(std::uint32_t n_neurons, double p_connect, std::uint64_t seed);
  std::span<const std::uint32_t> targets_of(std::uint32_t pre) const noexcept {
    return {targets_.data() + row_start_[pre], targets_.data() + row_start_[pre + 1]};
  }
  std::uint64_t n_synapses() const noexcept { return targets_.size(); }
  std::uint32_t n_neurons() const noexcept { return static_cast<std::uint32_t>(row_start_.size() - 1); }

 private:
  std::vector<std::uint64_t> row_start_;
  std::vector<std::uint32_t> targets_;
};

}  // namespace cortexloop::engine
