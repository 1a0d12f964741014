#include "tools/sweep_aln.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "engine/aln/aln_model.hpp"
#include "engine/stimulus.hpp"
#include "io/config/config_aln.hpp"
#include "io/aln_cache/engine_table.hpp"

namespace cortexloop::tools {

namespace {

namespace aln = engine::aln;

constexpr const char* kNeuronKeysRefused =
    "the swept keys change the neuron ([aln.neuron]), so every point would need its own cascade table; sweep keys "
    "of [aln] instead";

class aln_runner final : public sweep_point_runner {
 public:
  aln_runner(const std::string& config, const std::vector<std::vector<std::string>>& corners,
             const sweep_probe_options& probe, bool quiet)
      : config_(config), probe_(probe), first_(io::load_aln_config(config, corners.front())) {
    const aln::fp_numerics numerics;
    const aln::cascade_grid table_grid;
    for (const auto& corner : corners)
      if (aln::cascade_table_key(io::load_aln_config(config, corner).neuron, numerics, table_grid) !=
          aln::cascade_table_key(first_.neuron, numerics, table_grid))
        throw std::invalid_argument(kNeuronKeysRefused);
    duration_ms_ = first_.simulation.duration_s * 1000.0;
    check_probe_duration(first_.simulation);
    if (const double per_ms = 1.0 / first_.simulation.dt_ms; std::fabs(per_ms - std::round(per_ms)) > 1e-9 * per_ms)
      throw std::invalid_argument("simulation.dt_ms: sweep bins rates per ms, so dt_ms must divide 1 ms");
    table_ = io::cached_aln_table(first_.neuron, quiet);
    table_key_ = aln::cascade_table_key(first_.neuron, table_->numerics, table_->grid);
    probe_pA_ = probe_per_step_pA(first_.simulation, probe_.probe_pA);
  }

  sweep_point_result run(const std::vector<std::string>& overrides) const override {
    const io::aln_config c = io::load_aln_config(config_, overrides);
    if (aln::cascade_table_key(c.neuron, table_->numerics, table_->grid) != table_key_)
      throw std::invalid_argument(kNeuronKeysRefused);
    check_same_run(c.simulation, first_.simulation);
    aln::aln_model m(c.aln, *table_, c.simulation.dt_ms);
    const engine::stimulus_schedule stim(c.stimuli, c.simulation.dt_ms);
    const bool any_stimulus = !c.stimuli.empty();
    const double dt = c.simulation.dt_ms;
    const auto per_ms = static_cast<int>(std::lround(1.0 / dt));
    const auto bins = static_cast<std::size_t>(std::llround(duration_ms_));
    std::vector<float> rate(bins, 0.0f);
    std::int64_t step = 0;
    for (std::size_t b = 0; b < bins; ++b) {
      double sum = 0;
      for (int s = 0; s < per_ms; ++s, ++step) {
        const double t = static_cast<double>(step) * dt;
        const double probe = probe_pA_[std::min(static_cast<std::size_t>(step), probe_pA_.size() - 1)];
        if (any_stimulus)
          m.step(probe + stim.current_pA(engine::population::exc, t), stim.current_pA(engine::population::inh, t));
        else
          m.step(probe);
        sum += m.rate_e_Hz();
      }
      rate[b] = static_cast<float>(sum / per_ms);
    }
    sweep_point_result r;
    r.measures = aln::measure_states(rate, 1.0);
    aln::classify_options how = probe_.classify;
    how.has_adaptation = c.aln.a_nS != 0.0 || c.aln.b_pA != 0.0;
    r.state = aln::classify(r.measures, how);
    r.diverged = static_cast<double>(m.diverged());
    return r;
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
                                                          const std::vector<std::vector<std::string>>& corners,
                                                          const sweep_probe_options& probe, bool quiet) {
  return std::make_unique<aln_runner>(config, corners, probe, quiet);
}

}  // namespace cortexloop::tools
