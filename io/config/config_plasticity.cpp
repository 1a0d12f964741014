#include "io/config/config_plasticity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "io/config/config_checks.hpp"
#include "io/config/config_loader.hpp"
#include "io/config/config_reader.hpp"
#include "io/protocol/format_number.hpp"

namespace cortexloop::io {

namespace {

// The largest magnitude of a rule's gain, amplitude or bound (the notebook's are at most 100): at 1e308 their products
// overflowed, and a_ltp = -1e308 gave NaN weights in the results, eta = 1e308 a change of exactly 0 (an outside
// check, 2026-12-05).
constexpr double kBig = 1e6;
const range kAnyMV{-200.0, 200.0};

// Every trace, filter and the cell's V step by forward Euler at plasticity.dt_ms (engine/plasticity/), whose decay
// factor 1 - dt/tau keeps its sign only for tau > dt: clopath.tau_plus_ms = 0.01 gave NaN weights (exit 0, "ran":
// true), neuron.tau_m_ms = 0.05 fired the cell at 1/t_ref (an outside audit, 2026-12-06).
void check_step(table_reader& t, const std::string& key, double tau_ms, double dt_ms) {
  check_euler_decay(t, key, tau_ms, dt_ms, "plasticity.dt_ms", "as the experiment steps by forward Euler");
}

engine::plasticity::lif_params read_neuron(table_reader t, double dt_ms) {
  engine::plasticity::lif_params p;
  p.v_rest_mV = t.number("v_rest_mV", kAnyMV);
  p.v_thresh_mV = t.number("v_thresh_mV", kAnyMV);
  if (p.v_thresh_mV <= p.v_rest_mV) t.fail("v_thresh_mV", "must be above v_rest_mV");
  p.noise_sigma_mV = t.number("noise_sigma_mV", {0.0, 1000.0});
  p.tau_syn_exc_ms = t.number("tau_syn_exc_ms", positive(1e6));
  p.tau_syn_inh_ms = t.number("tau_syn_inh_ms", positive(1e6));
  p.tau_m_ms = t.number("tau_m_ms", positive(1e6));
  for (const auto& [key, tau] : {std::pair{"tau_syn_exc_ms", p.tau_syn_exc_ms}, std::pair{"tau_syn_inh_ms", p.tau_syn_inh_ms},
                                 std::pair{"tau_m_ms", p.tau_m_ms}})
    check_step(t, key, tau, dt_ms);
  p.t_ref_ms = t.number("t_ref_ms", {0.0, 1e6});
  p.e_exc_mV = t.number("e_exc_mV", kAnyMV);
  p.e_inh_mV = t.number("e_inh_mV", kAnyMV);
  p.g_exc_per_spike = t.number("g_exc_per_spike", {0.0, 1e3});
  p.g_inh_per_spike = t.number("g_inh_per_spike", {0.0, 1e3});
  // One input spike adds g (in units of the leak) to the cell's conductance: V's factor 1 - dt/tau_m (1 + g) must stay
  // above 0, as in the network (io/config/config_loader.cpp, check_one_event).
  for (const auto& [key, g] : {std::pair{"g_exc_per_spike", p.g_exc_per_spike}, std::pair{"g_inh_per_spike", p.g_inh_per_spike}})
    if (const double factor = dt_ms / p.tau_m_ms * (1.0 + g); factor >= 1.0)
      t.fail(key, "one input spike makes V's forward-Euler step dt / tau_m (1 + g) = " + format_number(factor).str() +
                      " (plasticity.dt_ms = " + format_number(dt_ms).str() + ", tau_m_ms = " +
                      format_number(p.tau_m_ms).str() + "); it must stay below 1");
  t.finish();
  return p;
}

void read_bounds(table_reader& t, double& w_min, double& w_max) {
  w_min = t.number("w_min", {-kBig, kBig});
  w_max = t.number("w_max", {-kBig, kBig});
  if (w_max < w_min) t.fail("w_max", "must be at least w_min");
}

// One calcium source of VDP, its keys named by the source (ltd/ltp) and its channel (vdcc/nmda): k_ltd_per_mV,
// ltd_rise_ms, ltd_fall_ms, theta_vdcc_mV, ltd_amp.
engine::plasticity::vdp_source read_source(table_reader& t, const std::string& kind, const std::string& channel,
                                            double dt_ms) {
  engine::plasticity::vdp_source s{};
  s.k_per_mV = t.number("k_" + kind + "_per_mV", {-kBig, kBig});
  s.rise_ms = t.number(kind + "_rise_ms", positive(1e6));
  s.fall_ms = t.number(kind + "_fall_ms", positive(1e6));
  // The rise-then-fall amplitude (rise/fall)^(fall/(rise - fall)) needs two different time constants.
  if (s.fall_ms == s.rise_ms) t.fail(kind + "_fall_ms", "must differ from " + kind + "_rise_ms");
  check_step(t, kind + "_rise_ms", s.rise_ms, dt_ms);
  check_step(t, kind + "_fall_ms", s.fall_ms, dt_ms);
  s.theta_mV = t.number("theta_" + channel + "_mV", kAnyMV);
  s.amp = t.number(kind + "_amp", {-kBig, kBig});
  return s;
}

engine::plasticity::vdp_params read_vdp(table_reader t, double dt_ms) {
  engine::plasticity::vdp_params p;
  p.a_pre = t.number("a_pre", {0.0, kBig});
  p.tau_glutamate_ms = t.number("tau_glutamate_ms", positive(1e6));
  check_step(t, "tau_glutamate_ms", p.tau_glutamate_ms, dt_ms);
  p.ltd = read_source(t, "ltd", "vdcc", dt_ms);
  p.ltp = read_source(t, "ltp", "nmda", dt_ms);
  p.eta = t.number("eta", {-kBig, kBig});
  p.c_ca = t.number("c_ca", {-50.0, 50.0});
  p.tau_w_ms = t.number("tau_w_ms", positive(1e6));
  read_bounds(t, p.w_min, p.w_max);
  t.finish();
  return p;
}

engine::plasticity::lowpass_params read_lowpass(table_reader t, double dt_ms) {
  engine::plasticity::lowpass_params p;
  p.g = t.number("g", {0.0, kBig});
  p.tau_s_ms = t.number("tau_s_ms", positive(1e6));
  p.tau_minus_ms = t.number("tau_minus_ms", positive(1e6));
  p.tau_plus_ms = t.number("tau_plus_ms", positive(1e6));
  for (const auto& [key, tau] : {std::pair{"tau_s_ms", p.tau_s_ms}, std::pair{"tau_minus_ms", p.tau_minus_ms},
                                 std::pair{"tau_plus_ms", p.tau_plus_ms}})
    check_step(t, key, tau, dt_ms);
  p.a_ltd = t.number("a_ltd", {-kBig, kBig});
  p.a_ltp = t.number("a_ltp", {-kBig, kBig});
  p.theta_minus_mV = t.number("theta_minus_mV", kAnyMV);
  p.theta_plus_mV = t.number("theta_plus_mV", kAnyMV);
  p.eta = t.number("eta", {-kBig, kBig});
  p.tau_w_ms = t.number("tau_w_ms", positive(1e6));
  read_bounds(t, p.w_min, p.w_max);
  p.v_filter_init_mV = t.number("v_filter_init_mV", kAnyMV);
  t.finish();
  return p;
}

}  // namespace

engine::plasticity::rate_effect_params load_plasticity_config(const std::filesystem::path& file,
                                                              std::span<const std::string> overrides) {
  const resolved_config rc = resolve_config(file, overrides);
  table_reader root(rc.root, "", rc.origin);
  for (const char* other : {"network", "meanfield", "ring", "device", "aln", "simulation", "stimulus"})
    if (rc.root.contains(other))
      root.fail(other, "a plasticity config holds [plasticity] only (the experiment has its own cell and inputs; "
                       "configs/plasticity/rate_effect.toml)");
  if (!rc.root.contains("plasticity"))
    throw config_error(rc.origin->file + ": [plasticity]: missing (configs/plasticity/rate_effect.toml is one)");
  table_reader t = root.table("plasticity");
  engine::plasticity::rate_effect_params p;
  p.duration_ms = t.number("duration_ms", positive(1e8));
  p.dt_ms = t.number("dt_ms", {1e-4, 1.0});
  // A train's period is whole milliseconds (int(1000 / rate)) and the traces are sampled every 1 ms: both are whole
  // numbers of steps only when dt divides 1 ms (at dt = 0.3 ms a 50 ms period became 167 steps, drifting 0.1 ms a
  // spike from the notebook's train).
  if (const double per_ms = 1.0 / p.dt_ms; std::fabs(per_ms - std::round(per_ms)) > 1e-9 * per_ms)
    t.fail("dt_ms", "must divide 1 ms (1 / dt_ms a whole number: 0.1, 0.05, 0.025 ...): each presynaptic train's "
                    "period is whole milliseconds and the traces are sampled every 1 ms");
  if (p.duration_ms < p.dt_ms) t.fail("duration_ms", "must be at least one step (dt_ms)");
  p.runs = static_cast<std::uint32_t>(t.integer("runs", 1, 100000));
  p.n_inputs = static_cast<std::uint32_t>(t.integer("n_inputs", 0, 100000));
  p.w_initial = t.number("w_initial", {1e-6, kBig});  // weights are reported in % of it: 1e-300 gave inf %
  p.seed = static_cast<std::uint64_t>(t.integer("seed", 0, std::numeric_limits<std::int64_t>::max()));
  // A rate's presynaptic train fires every int(1000 / rate) ms, at most 1000 Hz; a Poisson source spikes at most
  // once per step, which 1000 Hz at dt <= 1 ms keeps (rate dt <= 1).
  const range rates = positive(1000.0);
  p.e_rates_Hz = t.numbers("e_rates_Hz", rates);
  p.i_rates_Hz = t.numbers("i_rates_Hz", rates);
  // The cells of the grid are numbered in one 32-bit counter word of the random streams.
  if (static_cast<double>(p.e_rates_Hz.size()) * static_cast<double>(p.i_rates_Hz.size()) * p.runs > 4294967295.0)
    t.fail("runs", "with this grid, more cells than the random streams number (2^32)");
  p.neuron = read_neuron(t.table("neuron"), p.dt_ms);
  p.vdp = read_vdp(t.table("vdp"), p.dt_ms);
  p.clopath = read_lowpass(t.table("clopath"), p.dt_ms);
  p.meissner_bernard = read_lowpass(t.table("meissner_bernard"), p.dt_ms);
  // Each rule clips its weights to [w_min, w_max]: a start outside (3 with w_max = 2) was reported as -33 % at once.
  for (const auto& [name, lo, hi] : {std::tuple{"vdp", p.vdp.w_min, p.vdp.w_max},
                                     std::tuple{"clopath", p.clopath.w_min, p.clopath.w_max},
                                     std::tuple{"meissner_bernard", p.meissner_bernard.w_min, p.meissner_bernard.w_max}})
    if (p.w_initial < lo || p.w_initial > hi)
      t.fail("w_initial", std::string("must lie in plasticity.") + name + "'s [w_min, w_max] = [" +
                              format_number(lo).str() + ", " + format_number(hi).str() +
                              "]: the rule clips its weights there");
  t.finish();
  root.finish();
  return p;
}

}  // namespace cortexloop::io
