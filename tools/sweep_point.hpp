#pragma once
// One point of a `cortexloop sweep` state diagram: what a model's runner (tools/sweep_aln.hpp for the ALN mean field,
// tools/sweep_network.hpp for the spiking network) hands back to the sweep, which spreads points over threads and
// MPI ranks and writes the arrays (tools/sweep_command.cpp). Both models are probed and classified the same way
// (engine/aln/aln_states.hpp), so their diagrams can be compared point for point.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/aln/aln_states.hpp"
#include "engine/inputs/external_current.hpp"
#include "engine/params.hpp"

namespace cortexloop::tools {

struct sweep_point_result {
  engine::aln::state_measures measures;
  engine::aln::aln_state_class state = engine::aln::aln_state_class::down;
  double diverged = 0;  // steps (ALN) or cell resets (network) with a non-finite state
  bool adaptation = false;  // the point's model adapts (a or b not 0): the diagram is the paper's B kind
};

// What every runner needs from the command line.
struct sweep_probe_options {
  double probe_pA = 200.0;  // the authors' 'rect' probe onto E: 1 mV/ms x C = 200 pF
  engine::aln::classify_options classify;
  int threads = 1;  // points run at once, each keeping its rates
};

// The probe onto E (engine/aln/aln_states.hpp, bistability_probe_pA), one value per dt step of the run: the same
// at every point, so made once (its exp() was a tenth of a point's cost).
std::vector<double> probe_per_step_pA(const engine::simulation_params& s, double probe_pA);
// The probe onto E as the engine's external source (engine/inputs/external_current.hpp): one value per step of
// probe_per_step_pA, shared read-only by every point; both runners step the engine with it.
class probe_source final : public engine::external_current_source {
 public:
  explicit probe_source(std::span<const double> probe_pA) : probe_pA_(probe_pA) {}
  engine::population_currents currents_pA(std::int64_t step_index) noexcept override {
    const auto k = static_cast<std::size_t>(step_index);
    return {k < probe_pA_.size() ? static_cast<float>(probe_pA_[k]) : 0.0f, 0.0f};
  }
  bool observes() const noexcept override { return false; }  // open loop: the engine need not gather signals

 private:
  std::span<const double> probe_pA_;
};

// Refuses a run too short for the probe's up and down windows (the paper's runs are 6 s), and one whose probe (one
// double per dt step, shared) and running points' rates (one float per ms or tick, per thread) would not fit in
// memory (io::beyond_usable_memory): `sweep --duration 1e6` ended in std::bad_alloc.
// Each names the duration as it was given (duration_given_as over a point's `overrides`: `--duration 2`).
void check_sweep_run(const engine::simulation_params& s, const sweep_probe_options& probe,
                     const std::vector<std::string>& overrides);
// A point of the grid as messages name it, by its axes' overrides (the last two of `overrides`): "--x k = 1, --y j = 2".
std::string point_name(const std::vector<std::string>& overrides);
// Refuses a point whose swept keys change [simulation] against the first point's: every point runs the same time.
void check_same_run(const engine::simulation_params& point, const engine::simulation_params& first);
// The same for a point of the grid's edge, before any run: a wrong command line (exit 2) naming the point by its
// axes' overrides (the last two), where a point's own refusal comes after the points before it ran (exit 1).
void check_same_run_before(const std::vector<std::string>& overrides, const engine::simulation_params& point,
                           const engine::simulation_params& first);

// A model's runner: loads (and so checks) the point's config from these overrides, runs it with the probe and
// classifies its E rate. Called concurrently from several threads: it must only read shared state.
class sweep_point_runner {
 public:
  virtual ~sweep_point_runner() = default;
  virtual sweep_point_result run(const std::vector<std::string>& overrides) const = 0;
  virtual const char* model() const noexcept = 0;  // "aln" or "network", for sweep.json
  virtual double duration_s() const noexcept = 0;
  virtual double dt_ms() const noexcept = 0;
};

}  // namespace cortexloop::tools
