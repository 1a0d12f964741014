#include "io/config/config_meanfield.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "engine/meanfield/ring_geometry.hpp"
#include "io/protocol/format_number.hpp"

namespace cortexloop::io {

namespace mf = engine::meanfield;

namespace {
bool whole_multiple(double a, double b) {
  const double r = a / b;
  return std::fabs(r - std::round(r)) <= 1e-9 * r && std::round(r) >= 1.0;
}
}  // namespace

namespace {
// The cell a P set was fitted for, [meanfield.<pop>.fitted_cell] (fit-tf writes it): its spike mechanism (v_t,
// Delta_T, v_spike, v_reset, t_ref) is in P, and its C, g_L, E_L were those of the single-cell simulations P was
// fitted to; the mean field reads the latter from [network] too, but not what they did to the fit. A change of any
// of them in [network] does not reach P (an outside check, 2026-12-06: Delta_T 2 -> 0.5 mV more than doubled
// single RS cells' rate, 4.1 -> 9.0 Hz, and left the transfer function at 4.148 Hz without a word).
std::string read_fitted_cell(table_reader t, const char* pop, const engine::adex_params& cell) {
  struct cell_key {
    const char* name;
    double engine::adex_params::*field;
  };
  using engine::adex_params;
  static constexpr cell_key keys[] = {
      {"c_pF", &adex_params::c_pF},           {"g_l_nS", &adex_params::g_l_nS},
      {"e_l_mV", &adex_params::e_l_mV},       {"v_t_mV", &adex_params::v_t_mV},
      {"delta_t_mV", &adex_params::delta_t_mV}, {"v_spike_mV", &adex_params::v_spike_mV},
      {"v_reset_mV", &adex_params::v_reset_mV}, {"t_ref_ms", &adex_params::t_ref_ms}};
  std::string differs;
  for (const cell_key& k : keys) {
    const double fitted = t.number(k.name, {-1e6, 1e6});
    const double now = cell.*k.field;
    // Equal as read from the same text; the margin only absorbs a value written with fewer digits (fit-tf's 10).
    if (std::fabs(fitted - now) > 1e-9 * std::max(1.0, std::fabs(now)))
      differs += std::string(differs.empty() ? "" : ", ") + "network." + pop + "." + k.name + " = " +
                 format_number(now).str() + " (fitted for " + format_number(fitted).str() + ")";
  }
  t.finish();
  return differs;
}
}  // namespace

mf::threshold_params read_threshold(table_reader t, const char* pop, const engine::adex_params& cell) {
  const std::string v_t_name = std::string("network.") + pop + ".v_t_mV";
  const double v_t_mV = cell.v_t_mV;
  mf::threshold_params p;
  p.form = t.choice("form", {"zerlaut2018", "divolo2019"}) == "divolo2019" ? mf::polynomial_form::divolo2019
                                                                            : mf::polynomial_form::zerlaut2018;
  // Coefficients are in volts, as the papers and the authors' code publish them; |P| < 1 V is generous.
  for (std::size_t k = 0; k < mf::n_terms(p.form); ++k) {
    char key[8];  // snprintf rather than string concatenation: GCC 12 warns falsely (-Wrestrict) on the latter
    std::snprintf(key, sizeof key, "p%zu_V", k);
    p.p_V[k] = t.number(key, {-1.0, 1.0});
  }
  // Optional: the default (-33 mV) is argued in engine/meanfield/transfer_function.hpp; inf turns the hold off. Not
  // below the cell's v_t: the hold is for the mean-driven side, and below it would cut into the fluctuation-driven
  // regime the function was fitted in (and, below E_inh, cross the lower edge: a review). The default too: a cell
  // whose v_t is above -33 mV gets its v_t (an outside check: v_t -30 mV was held at -33 mV, where an explicit -33
  // is refused).
  if (t.has("max_mu_v_mV")) {
    p.max_mu_v_mV = t.number("max_mu_v_mV", {-HUGE_VAL, HUGE_VAL});  // NaN refused here, named as out of range
    if (p.max_mu_v_mV < v_t_mV)
      t.fail("max_mu_v_mV", std::string("must be at least ") + v_t_name + " = " + format_number(v_t_mV).str() +
                                " mV (the hold is for mu_V above threshold), or inf (no hold)");
  } else {
    p.max_mu_v_mV = std::max(p.max_mu_v_mV, v_t_mV);
  }
  if (t.has("fitted_cell")) p.fitted_cell_differs = read_fitted_cell(t.table("fitted_cell"), pop, cell);
  if (t.has("fitted_for")) {
    p.fitted_for = t.text("fitted_for");
    if (p.fitted_for.empty() || t.has("fitted_cell"))
      t.fail("fitted_for", "names the other cell model P was fitted for (not empty), in place of a fitted_cell table");
  }
  t.finish();  // a p10_V in a 10-term table is refused here
  return p;
}

mf::meanfield_params read_meanfield(table_reader t, const engine::network_params& net) {
  mf::meanfield_params p;
  p.order = static_cast<int>(t.integer("order", 1, 2));
  p.t_ms = t.number("t_ms", positive(1e4));
  p.moments = t.choice("moments", {"corrected", "zerlaut2018"}) == "zerlaut2018" ? mf::moments_formula::zerlaut2018
                                                                                 : mf::moments_formula::corrected;
  p.adaptation = t.choice("adaptation", {"divolo2019", "off"}) == "divolo2019";
  p.exc = read_threshold(t.table("exc"), "exc", net.exc);
  p.inh = read_threshold(t.table("inh"), "inh", net.inh);
  t.finish();
  return p;
}

std::string meanfield_fit_note(const char* pop, const mf::threshold_params& t) {
  if (t.fitted_cell_differs.empty()) return {};
  return std::string("meanfield.") + pop + "'s P was fitted for another cell than the config's: " +
         t.fitted_cell_differs + "; the mean field's transfer function does not follow that change (refit: "
         "cortexloop fit-tf --config CONFIG --cell " + pop + ")";
}

std::vector<std::string> meanfield_notes(const engine::engine_params& p) {
  std::vector<std::string> notes;
  if (!p.meanfield) return notes;
  // The engine steps the mean field only as a Zerlaut ring's units: configs/zerlaut2018_meanfield.toml ("the local
  // model") ran the network and nothing said that its [meanfield] was not stepped (an outside check, 2026-12-06); nor
  // beside an ALN node or ring (a review, 2026-12-06).
  if (!p.ring || p.ring->model != mf::ring_model::zerlaut) {
    std::vector<std::string> runs;
    if (p.network.n_neurons > 0) runs.emplace_back("the spiking network");
    if (p.aln) runs.emplace_back("the ALN node");
    if (p.ring) runs.emplace_back("the ALN ring");
    std::string what;
    for (std::size_t i = 0; i < runs.size(); ++i) what += (i == 0 ? "" : i + 1 == runs.size() ? " and " : ", ") + runs[i];
    notes.push_back("[meanfield] is not stepped: the engine steps it only as the units of a Zerlaut [ring] (tf and "
                    "fit-tf read it); this run steps " + (what.empty() ? std::string("nothing else") : what) +
                    "; the local model's time course is a Zerlaut ring's under a uniform current, e.g. "
                    "configs/stimulation/ring_only.toml (docs/meanfield.md)");
    return notes;
  }
  for (const auto& [pop, t] : {std::pair<const char*, const mf::threshold_params*>{"exc", &p.meanfield->exc},
                               std::pair<const char*, const mf::threshold_params*>{"inh", &p.meanfield->inh}})
    if (std::string note = meanfield_fit_note(pop, *t); !note.empty()) notes.push_back(std::move(note));
  return notes;
}

namespace {

// A Gaussian in space is sampled at the units: one narrower than half its centre's distance to the nearest unit falls
// between them (an afferent of width_mm 0.01 at 18.18 mm, between units 0.36 mm apart, left the ring at rest: exit
// 0, no note; an outside audit, 2026-12-06). The stimulator's ring sites take the same rule (docs/device.md).
void check_ring_width(table_reader& t, const char* key, double width_mm, double position_mm, double length_mm,
                      std::int64_t n_units) {
  const auto n = static_cast<std::size_t>(n_units);
  if (!mf::ring_gaussian_reaches_a_unit(position_mm, width_mm, n, length_mm)) {
    const double nearest_mm = mf::ring_distance_shown_mm(mf::ring_nearest_unit_mm(position_mm, n, length_mm));
    t.fail(key, "reaches no unit: the nearest to position_mm is " + format_number(nearest_mm).str() +
                    " mm away (units " + format_number(mf::ring_unit_spacing_mm(n, length_mm)).str() +
                    " mm apart), more than two widths, and the units sample the Gaussian");
  }
}

mf::afferent_stimulus read_afferent(table_reader t, double length_mm, std::int64_t n_units) {
  mf::afferent_stimulus s;
  s.amplitude_Hz = t.number("amplitude_Hz", {0.0, 1e4});
  s.position_mm = t.number("position_mm", {0.0, length_mm, false, true});  // [0, length), as the device's sites
  s.width_mm = t.number("width_mm", positive(1e4));
  check_ring_width(t, "width_mm", s.width_mm, s.position_mm, length_mm, n_units);
  s.peak_ms = t.number("peak_ms", {0.0, 1e9});
  s.rise_ms = t.number("rise_ms", positive(1e6));
  s.decay_ms = t.number("decay_ms", positive(1e6));
  t.finish();
  return s;
}

mf::current_stimulus read_current(table_reader t, double length_mm, std::int64_t n_units) {
  mf::current_stimulus s;
  s.amplitude_pA = t.number("amplitude_pA", {-1e6, 1e6});
  s.position_mm = t.number("position_mm", {0.0, length_mm, false, true});  // [0, length), as the device's sites
  s.spread_mm = t.number("spread_mm", positive(1e4));
  check_ring_width(t, "spread_mm", s.spread_mm, s.position_mm, length_mm, n_units);
  s.start_ms = t.number("start_ms", {0.0, 1e9});
  s.stop_ms = t.number("stop_ms", {0.0, 1e9});
  if (s.stop_ms <= s.start_ms) t.fail("stop_ms", "must be after start_ms = " + format_number(s.start_ms).str());
  const std::string target = t.choice("target", {"exc", "inh", "both"});
  s.target = target == "exc" ? mf::current_target::exc
                             : (target == "inh" ? mf::current_target::inh : mf::current_target::both);
  t.finish();
  return s;
}

}  // namespace

// The longest lateral delay a ring may have (velocity_mm_per_s): 1 s, ~17 times the default ring's 60 ms.
constexpr double kMaxLateralDelay_ms = 1000.0;

mf::ring_params read_ring(table_reader t, const engine::simulation_params& sim) {
  mf::ring_params p;
  if (t.has("model")) p.model = t.choice("model", {"zerlaut", "aln"}) == "aln" ? mf::ring_model::aln : mf::ring_model::zerlaut;
  p.n_units = t.integer("n_units", 1, 100'000);
  p.length_mm = t.number("length_mm", positive(mf::kMaxRingLength_mm));
  p.l_exc_mm = t.number("l_exc_mm", positive(1e5));
  p.l_inh_mm = t.number("l_inh_mm", positive(1e5));
  p.kernel_extent_sd = t.number("kernel_extent_sd", positive(100.0));
  p.velocity_mm_per_s = t.number("velocity_mm_per_s", positive(1e9));
  // Every unit keeps its rates for the longest lateral delay: at 1e-6 mm/s that history did not fit in memory
  // (std::bad_alloc), and at 1e-300 the delay overflowed its 32-bit step count to none at all (an outside check,
  // 2026-12-05). Half the ring over the velocity bounds every delay.
  if (const double longest_ms = 0.5 * p.length_mm / p.velocity_mm_per_s * 1000.0;
      !(longest_ms <= kMaxLateralDelay_ms))
    t.fail("velocity_mm_per_s", "too slow for this ring: half its length over it is a lateral delay of " +
                                    format_number(longest_ms).str() + " ms; at most " +
                                    std::to_string(static_cast<int>(kMaxLateralDelay_ms)) +
                                    " ms (each unit keeps its rates that long)");
  p.dt_ms = t.number("dt_ms", positive(100.0));
  if (!whole_multiple(p.dt_ms, sim.dt_ms))
    t.fail("dt_ms", "must be a whole number of simulation.dt_ms = " + format_number(sim.dt_ms).str());
  if (!whole_multiple(sim.tick_ms, p.dt_ms))
    t.fail("dt_ms", "must divide simulation.tick_ms = " + format_number(sim.tick_ms).str());
  p.with_network = t.choice("network", {"on", "off"}) == "on";
  auto each = [&](std::string_view key, auto read) {
    if (!t.has(key)) return;
    const toml::array& entries = t.array_of_tables(key);
    for (std::size_t i = 0; i < entries.size(); ++i)
      read(table_reader(*entries[i].as_table(), t.dotted(key) + "[" + std::to_string(i) + "]", t.origin()));
  };
  if (p.model == mf::ring_model::aln && t.has("afferent"))
    t.fail("afferent", "is a rate onto Zerlaut units; a ring of ALN units (model = \"aln\") takes currents: "
                       "[[ring.current]] or the stimulator's commands");
  each("afferent", [&](table_reader r) { p.afferent.push_back(read_afferent(std::move(r), p.length_mm, p.n_units)); });
  each("current", [&](table_reader r) { p.currents.push_back(read_current(std::move(r), p.length_mm, p.n_units)); });
  t.finish();
  return p;
}

}  // namespace cortexloop::io
