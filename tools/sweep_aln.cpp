#include "tools/sweep_aln.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "engine/aln/aln_model.hpp"
#include "engine/engine.hpp"
#include "io/aln_cache/engine_table.hpp"
#include "io/config/config_aln.hpp"
#include "io/config/config_loader.hpp"
#include "io/protocol/format_number.hpp"

namespace cortexloop::tools {

namespace {

namespace aln = engine::aln;

constexpr const char* kNeuronKeysRefused =
    "the swept keys change the neuron ([aln.neuron]), so every point would need its own cascade table; sweep keys "
    "of [aln] instead";

class aln_runner final : public sweep_point_runner {
 public:
  aln_runner(const std::string& config, const std::vector<std::vector<std::string>>& edge,
             const sweep_probe_options& probe, bool quiet)
      : config_(config), probe_(probe), first_(io::load_aln_config(config, edge.front())) {
    const aln::fp_numerics numerics;
    const aln::cascade_grid table_grid;
    for (const auto& point : edge) {
      const io::aln_config c = io::load_aln_config(config, point);
      if (aln::cascade_table_key(c.neuron, numerics, table_grid) !=
          aln::cascade_table_key(first_.neuron, numerics, table_grid))
        throw io::config_error(kNeuronKeysRefused);  // exit 2, as an unknown key (sweep --help)
      check_same_run_before(point, c.simulation, first_.simulation);
    }
    duration_ms_ = first_.simulation.duration_s * 1000.0;
    check_sweep_run(first_.simulation, probe_, edge.front());
    if (const double per_ms = 1.0 / first_.simulation.dt_ms; std::fabs(per_ms - std::round(per_ms)) > 1e-9 * per_ms)
      throw io::config_error("simulation.dt_ms: sweep bins rates per ms, so dt_ms must divide 1 ms");
    // Each point runs at ticks of 1 ms (one bin each, below): another tick_ms was taken, recorded in sweep.json and
    // changed nothing (an outside audit, 2026-12-07).
    if (first_.simulation.tick_ms != 1.0)
      throw io::config_error("simulation.tick_ms = " + io::format_number(first_.simulation.tick_ms).str() +
                             ": an ALN sweep runs its points at ticks of 1 ms (its rates binned per ms); give 1 (or "
                             "leave it out)");
    table_ = io::cached_aln_table(first_.neuron, quiet);
    table_key_ = aln::cascade_table_key(first_.neuron, table_->numerics, table_->grid);
    probe_pA_ = probe_per_step_pA(first_.simulation, probe_.probe_pA);
  }

  // The point runs in the engine, as `simulate` runs an [aln] config and as the network's points run (one stepping
  // loop): the engine's ALN node, the config's stimuli from the engine's schedule, the probe from probe_source.
  sweep_point_result run(const std::vector<std::string>& overrides) const override {
    engine::engine_params p = io::load_config(config_, overrides);
    if (!p.aln || aln::cascade_table_key(p.aln->neuron, table_->numerics, table_->grid) != table_key_)
      throw io::config_error(kNeuronKeysRefused);
    check_same_run(p.simulation, first_.simulation);
    p.aln->table = table_;         // read once for every point, not per point from the disk cache
    p.simulation.tick_ms = 1.0;    // measure_states bins the E rate per ms: one tick, one bin
    engine::engine eng(p);
    probe_source probe(probe_pA_);
    eng.set_external_current(&probe);
    const auto bins = static_cast<std::size_t>(std::llround(duration_ms_));
    std::vector<float> rate(bins, 0.0f);
    engine::tick_readout r;
    sweep_point_result out;
    for (std::size_t b = 0; b < bins; ++b) {
      eng.tick(r);
      rate[b] = static_cast<float>(r.aln.rate_e_Hz);
      out.diverged += static_cast<double>(r.aln.diverged);
    }
    eng.set_external_current(nullptr);
    out.measures = aln::measure_states(rate, 1.0);
    aln::classify_options how = probe_.classify;
    how.has_adaptation = p.aln->model.a_nS != 0.0 || p.aln->model.b_pA != 0.0;
    out.state = aln::classify(out.measures, how);
    out.adaptation = how.has_adaptation;
    return out;
  }

  const char* model() const noexcept override { return "aln"; }
  double duration_s() const noexcept override { return first_.simulation.duration_s; }
  double dt_ms() const noexcept override { return first_.simulation.dt_ms; }

 private:
  std::string config_;
  sweep_probe_options probe_;
  io::aln_config first_;
  double duration_ms_ = 0;
  std::shared_ptr<const aln::cascade_table> table_;
  std::string table_key_;
  std::vector<double> probe_pA_;
};

}  // namespace

std::unique_ptr<sweep_point_runner> make_aln_sweep_runner(const std::string& config,
                                                          const std::vector<std::vector<std::string>>& edge,
                                                          const sweep_probe_options& probe, bool quiet) {
  return std::make_unique<aln_runner>(config, edge, probe, quiet);
}

}  // namespace cortexloop::tools
