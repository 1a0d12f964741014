#include "io/config/config_aln.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>

#include "engine/aln/cascade_table.hpp"
#include "engine/aln/eif_neuron.hpp"
#include "io/config/config_checks.hpp"
#include "io/config/config_loader.hpp"
#include "io/protocol/format_number.hpp"

namespace cortexloop::io {

namespace {

constexpr double kBig = 1e6;

engine::aln::eif_neuron_params read_neuron(table_reader t) {
  engine::aln::eif_neuron_params n;  // every key optional: the defaults are the authors' table's neuron
  auto opt = [&t](std::string_view key, double& v, range r) {
    if (t.has(key)) v = t.number(key, r);
  };
  // The engine's bounds (eif_neuron.hpp), which aln-table's options also have.
  const auto within = [](engine::aln::eif_bounds b) { return range{b.lo, b.hi}; };
  opt("c_pF", n.c_pF, within(engine::aln::kEifCapacitance_pF));
  opt("g_l_nS", n.g_l_nS, within(engine::aln::kEifLeak_nS));
  opt("e_l_mV", n.e_l_mV, within(engine::aln::kEifVoltage_mV));
  opt("delta_t_mV", n.delta_t_mV, within(engine::aln::kEifSlope_mV));
  opt("v_t_mV", n.v_t_mV, within(engine::aln::kEifVoltage_mV));
  opt("v_r_mV", n.v_r_mV, within(engine::aln::kEifVoltage_mV));
  opt("v_cut_mV", n.v_cut_mV, within(engine::aln::kEifVoltage_mV));
  opt("t_ref_ms", n.t_ref_ms, within(engine::aln::kEifRefractory_ms));
  t.finish();
  try {
    n.validate();
  } catch (const std::invalid_argument& e) {
    // The engine's message ("EIF cascade: v_r_mV = -30: must be below the spike cut-off v_cut_mV") names the field
    // first: refused as that key, so the message gives its file and line, or the --set that made it, and the
    // override of another key it names (it gave the file alone, without a line, for a --set; an outside check).
    const std::string what = e.what();
    for (const char* key : {"c_pF", "g_l_nS", "e_l_mV", "delta_t_mV", "v_t_mV", "v_r_mV", "v_cut_mV", "v_lb_mV",
                            "t_ref_ms"}) {
      const std::size_t at = what.find(std::string(key) + " = ");
      if (at == std::string::npos) continue;
      const std::size_t rest = what.find(": ", at);
      t.fail(key, rest == std::string::npos ? what : what.substr(rest + 2));
    }
    const std::string section = t.dotted("x").substr(0, t.dotted("x").size() - 2);  // "aln.neuron"
    throw config_error(t.origin()->file + ": [" + section + "] " + what);
  }
  return n;
}

engine::aln::aln_params read_aln(table_reader& t) {
  engine::aln::aln_params p;
  const range any{-kBig, kBig}, nonneg{0, kBig};
  const range mu{-engine::aln::kCascadeMu_mV_per_ms, engine::aln::kCascadeMu_mV_per_ms};
  const range sigma{0, engine::aln::kCascadeSigma_mV_per_sqrt_ms};
  p.mu_ext_e_mV_per_ms = t.number("mu_ext_e_mV_per_ms", mu);
  p.mu_ext_i_mV_per_ms = t.number("mu_ext_i_mV_per_ms", mu);
  p.sigma_ext_e_mV_per_sqrt_ms = t.number("sigma_ext_e_mV_per_sqrt_ms", sigma);
  p.sigma_ext_i_mV_per_sqrt_ms = t.number("sigma_ext_i_mV_per_sqrt_ms", sigma);
  p.k_e = t.number("k_e", nonneg);
  p.k_i = t.number("k_i", nonneg);
  p.delay_e_ms = t.number("delay_e_ms", {0, 1000});
  p.delay_i_ms = t.number("delay_i_ms", {0, 1000});
  p.tau_se_ms = t.number("tau_se_ms", positive(1e4));
  p.tau_si_ms = t.number("tau_si_ms", positive(1e4));
  p.c_ee_mV_per_ms = t.number("c_ee_mV_per_ms", nonneg);
  p.c_ie_mV_per_ms = t.number("c_ie_mV_per_ms", nonneg);
  p.c_ei_mV_per_ms = t.number("c_ei_mV_per_ms", nonneg);
  p.c_ii_mV_per_ms = t.number("c_ii_mV_per_ms", nonneg);
  p.j_ee_mV_per_ms = t.number("j_ee_mV_per_ms", positive(kBig));
  p.j_ie_mV_per_ms = t.number("j_ie_mV_per_ms", positive(kBig));
  p.j_ei_mV_per_ms = t.number("j_ei_mV_per_ms", {-kBig, 0, false});
  p.j_ii_mV_per_ms = t.number("j_ii_mV_per_ms", {-kBig, 0, false});
  if (p.j_ei_mV_per_ms == 0) t.fail("j_ei_mV_per_ms", "must be < 0 (inhibitory)");
  if (p.j_ii_mV_per_ms == 0) t.fail("j_ii_mV_per_ms", "must be < 0 (inhibitory)");
  const std::tuple<const char*, double, double> jumps[] = {{"ee", p.c_ee_mV_per_ms, p.j_ee_mV_per_ms},
                                                           {"ie", p.c_ie_mV_per_ms, p.j_ie_mV_per_ms},
                                                           {"ei", p.c_ei_mV_per_ms, p.j_ei_mV_per_ms},
                                                           {"ii", p.c_ii_mV_per_ms, p.j_ii_mV_per_ms}};
  for (const auto& [pair, c, j] : jumps)
    check_jump_fraction(t, std::string("c_") + pair + "_mV_per_ms", c, std::string("j_") + pair + "_mV_per_ms", j);
  p.a_nS = t.number("a_nS", any);
  p.b_pA = t.number("b_pA", any);
  p.e_a_mV = t.number("e_a_mV", {-500, 500});
  p.tau_a_ms = t.number("tau_a_ms", positive(1e7));
  return p;
}

}  // namespace

engine::aln_node_params read_aln_section(table_reader a, double dt_ms) {
  engine::aln_node_params node;
  node.model = read_aln(a);
  if (a.has("neuron")) node.neuron = read_neuron(a.table("neuron"));
  a.finish();
  // The node steps by forward Euler (docs/aln.md), its synapses' fractions s and s~ too.
  check_euler_decay(a, "tau_se_ms", node.model.tau_se_ms, dt_ms, "simulation.dt_ms", "as the node steps by forward Euler");
  check_euler_decay(a, "tau_si_ms", node.model.tau_si_ms, dt_ms, "simulation.dt_ms", "as the node steps by forward Euler");
  // tau_a_ms = 0.04 put inf into aln_mean_w.npy (an outside audit, 2026-12-06).
  check_euler_decay(a, "tau_a_ms", node.model.tau_a_ms, dt_ms, "simulation.dt_ms", "as the node steps by forward Euler");
  check_whole_steps(a, "delay_e_ms", node.model.delay_e_ms, dt_ms, "simulation.dt_ms");
  check_whole_steps(a, "delay_i_ms", node.model.delay_i_ms, dt_ms, "simulation.dt_ms");
  return node;
}

bool config_has_aln(const std::filesystem::path& file, std::span<const std::string> overrides) {
  return resolve_config(file, overrides).root.contains("aln");
}

aln_config load_aln_config(const std::filesystem::path& file, std::span<const std::string> overrides) {
  const resolved_config rc = resolve_config(file, overrides);
  for (const char* engine_section : {"network", "meanfield", "ring", "device"})
    if (rc.root.contains(engine_section))
      throw config_error(rc.origin->file + ": [" + engine_section + "]: this reads a config of the ALN node alone "
                         "(`sweep` steps the ALN mean field alone); a config with other models next to [aln] runs "
                         "with `simulate` or `serve`");
  if (!rc.root.contains("aln")) throw config_error(rc.origin->file + ": [aln]: missing (the ALN node's section)");
  const engine::engine_params p = load_config(file, overrides);
  return {p.simulation, p.aln->model, p.aln->neuron, p.stimuli};
}

}  // namespace cortexloop::io
