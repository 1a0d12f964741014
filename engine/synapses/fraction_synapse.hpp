#pragma once
// Synaptic fractions (Cakan & Obermayer 2020, Sec. "AdEx network"; their Brian2 code, network_sim.py): each
// presynaptic spike moves the postsynaptic fraction s by s += (1 - s) c, and s decays with tau_s between spikes.
// k spikes arriving in one step compose to s <- 1 - (1 - s)(1 - c)^k whatever their order, so a cell's arrivals can
// be counted first and applied at once: the result cannot depend on the order of delivery (or on the threads).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace cortexloop::engine {

// (1 - c)^k for k = 0 .. k_max (k_max: the most arrivals one pathway can bring a cell in one step, its in-degree).
class fraction_jump {
 public:
  fraction_jump() = default;
  // ln(1 - c), so that (1 - c)^k = exp(k ln(1 - c)) (the cell kernel's form); -inf for c = 1.
  float log_keep() const noexcept { return log_keep_; }
  fraction_jump(double c, std::uint32_t k_max) : keep_(k_max + 1u), log_keep_(static_cast<float>(std::log1p(-c))) {
    for (std::uint32_t k = 0; k <= k_max; ++k) keep_[k] = static_cast<float>(std::pow(1.0 - c, k));
  }
  // s after k arrivals: 1 - (1 - s)(1 - c)^k.
  float after(float s, std::uint32_t k) const noexcept {
    return 1.0f - (1.0f - s) * keep_[std::min<std::size_t>(k, keep_.size() - 1)];
  }
  const float* keep() const noexcept { return keep_.data(); }

 private:
  std::vector<float> keep_;
  float log_keep_ = 0.0f;
};

}  // namespace cortexloop::engine
