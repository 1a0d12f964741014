#include "tools/sweep_network.hpp"

#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>

#include "engine/engine.hpp"
#include "io/config/config_loader.hpp"

namespace cortexloop::tools {

namespace {

namespace aln = engine::aln;

class network_runner final : public sweep_point_runner {
 public:
  network_runner(const std::string& config, const std::vector<std::vector<std::string>>& edge,
                 const sweep_probe_options& probe)
      : config_(config), probe_(probe), first_(load(edge.front()).simulation) {
    for (const auto& point : edge) check_same_run_before(point, load(point).simulation, first_);
    check_sweep_run(first_, probe_, edge.front());
    // measure_states takes the rate in bins of one tick; its Welch segments are 500 ms long.
    if (const double per_segment = 500.0 / first_.tick_ms; std::fabs(per_segment - std::round(per_segment)) > 1e-9)
      throw io::config_error("simulation.tick_ms: sweep bins the E rate per tick, so tick_ms must divide 500 ms");
    probe_pA_ = probe_per_step_pA(first_, probe_.probe_pA);
  }

  sweep_point_result run(const std::vector<std::string>& overrides) const override {
    const engine::engine_params p = load(overrides);
    check_same_run(p.simulation, first_);
    engine::engine eng(p);
    probe_source probe(probe_pA_);
    eng.set_external_current(&probe);
    const auto ticks = static_cast<std::size_t>(std::llround(p.simulation.duration_s * 1000.0 / p.simulation.tick_ms));
    std::vector<float> rate_e_Hz(ticks);
    engine::tick_readout r;
    sweep_point_result out;
    for (std::size_t k = 0; k < ticks; ++k) {
      eng.tick(r);
      rate_e_Hz[k] = static_cast<float>(r.exc.rate_Hz);
      out.diverged += static_cast<double>(r.diverged);
    }
    eng.set_external_current(nullptr);
    out.measures = aln::measure_states(rate_e_Hz, p.simulation.tick_ms);
    aln::classify_options how = probe_.classify;
    // In the Cakan network only E adapts; a config that adapts I counts too. HH cells adapt through their M current.
    const engine::network_params& n = p.network;
    how.has_adaptation = n.cells == engine::cell_model::hh
                             ? n.hh_exc.g_m_nS != 0.0 || n.hh_inh.g_m_nS != 0.0
                             : n.exc.a_nS != 0.0 || n.exc.b_pA != 0.0 || n.inh.a_nS != 0.0 || n.inh.b_pA != 0.0;
    out.state = aln::classify(out.measures, how);
    out.adaptation = how.has_adaptation;
    return out;
  }

  const char* model() const noexcept override { return "network"; }
  double duration_s() const noexcept override { return first_.duration_s; }
  double dt_ms() const noexcept override { return first_.dt_ms; }

 private:
  engine::engine_params load(std::vector<std::string> overrides) const {
    overrides.push_back("simulation.threads=1");  // one thread per point: the sweep runs points in parallel
    engine::engine_params p = io::load_config(config_, overrides);
    if (p.ring)
      throw io::config_error(config_ + ": sweep classifies the network's E rate, and this config also has a "
                                  "[ring] that would be stepped for nothing; sweep a config without [ring]");
    return p;
  }

  std::string config_;
  sweep_probe_options probe_;
  engine::simulation_params first_;
  std::vector<double> probe_pA_;
};

}  // namespace

std::unique_ptr<sweep_point_runner> make_network_sweep_runner(const std::string& config,
                                                              const std::vector<std::vector<std::string>>& edge,
                                                              const sweep_probe_options& probe) {
  return std::make_unique<network_runner>(config, edge, probe);
}

}  // namespace cortexloop::tools
