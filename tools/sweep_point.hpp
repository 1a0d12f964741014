#pragma once
// One point of a `cortexloop sweep` state diagram: what a model's runner (tools/sweep_aln.hpp for the ALN mean field,
// tools/sweep_network.hpp for the spiking network) hands back to the sweep, which spreads points over threads and
// MPI ranks and writes the arrays (tools/sweep_command.cpp). Both models are probed and classified the same way
// (engine/aln/aln_states.hpp), so their diagrams can be compared point for point.
#include <string>
#include <vector>

#include "engine/aln/aln_states.hpp"

namespace cortexloop::tools {

struct sweep_point_result {
  engine::aln::state_measures measures;
  engine::aln::aln_state_class state = engine::aln::aln_state_class::down;
  double diverged = 0;  // steps (ALN) or cell resets (network) with a non-finite state
};

// What every runner needs from the command line.
struct sweep_probe_options {
  double probe_pA = 200.0;  // the authors' 'rect' probe onto E: 1 mV/ms x C = 200 pF
  engine::aln::classify_options classify;
};

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
