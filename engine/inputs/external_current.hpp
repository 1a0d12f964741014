#pragma once
// A source of stimulation current supplied from outside the config: the simulated neurostimulator of
// firmware_sim/ (commanded at run time). The engine asks it for the network's currents once per step, before
// the network steps; for the ring's, once per ring step, after the network steps that the ring step spans
// (so the source can hand the ring the mean current of exactly those steps: the charge of its step). After
// every step the engine shows it what happened (observe), which is what a device senses. Implementations
// must be noexcept, allocation-free and lock-free: they run on the real-time thread.
#include <cstdint>
#include <span>

namespace cortexloop::engine {

class network;
namespace meanfield {
class ring;
}
namespace aln {
class aln_model;
class aln_ring;
}

struct population_currents {
  float exc_pA = 0.0f;  // per cell of the population
  float inh_pA = 0.0f;
};

// Per-unit currents for the ring's units, of either model (empty spans: none).
struct ring_currents {
  std::span<const float> exc_pA, inh_pA;
};

// What the engine offers after each step: spikes of the step and the models' state (null when absent or
// not stepped).
struct step_signals {
  std::int64_t step_index = 0;
  std::int64_t spikes_exc = 0, spikes_inh = 0;
  const network* net = nullptr;
  const meanfield::ring* ring = nullptr;      // a ring of Zerlaut units
  const aln::aln_ring* aln_ring = nullptr;    // a ring of ALN units ([ring] model = "aln")
  const aln::aln_model* aln = nullptr;        // the [aln] node, after its step of this step
  // The ring's latest state, of either model (empty without a ring): what the device senses of it.
  std::span<const float> ring_vsdi_percent{}, ring_rates_exc_Hz{}, ring_rates_inh_Hz{};
  bool ring_stepped = false;  // the ring completed a step with this one
};

class external_current_source {
 public:
  virtual population_currents currents_pA(std::int64_t step_index) noexcept = 0;
  // For the ring: per-unit currents averaged over the network steps since the previous call; t_ms is the
  // start of the ring step. Valid until the next call.
  virtual ring_currents ring_currents_pA(double t_ms) noexcept {
    static_cast<void>(t_ms);
    return {};
  }
  virtual void observe(const step_signals& signals) noexcept { static_cast<void>(signals); }
  // false: observe() is never needed, and the engine skips gathering step_signals for it at every step (a
  // sweep's probe is an open-loop source; that gathering was a tenth of the ALN node's step). Read once, when
  // the source is set.
  virtual bool observes() const noexcept { return true; }

 protected:
  ~external_current_source() = default;
};

}  // namespace cortexloop::engine
