#include "io/config/config_loader.hpp"
#include "io/config/config_checks.hpp"

#include "io/config/config_device.hpp"
#include "io/config/config_file.hpp"
#include "io/config/config_aln.hpp"
#include "io/config/config_meanfield.hpp"
#include "io/config/machine_memory.hpp"
#include "io/config/network_memory.hpp"
#include "io/config/thread_limit.hpp"
#include "engine/inputs/drive.hpp"
#include "engine/network/steps_network.hpp"
#include "engine/network/workers.hpp"
#include "io/protocol/empty_population.hpp"
#include "io/protocol/format_number.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

namespace cortexloop::io {

std::string labelled_override(std::string_view label, std::string_view key, std::string_view value) {
  return std::string(label) + kOptionMark + std::string(key) + "=" + std::string(value);
}

std::string override_key(std::string_view tagged) {
  const auto mark = tagged.find(kOptionMark);
  const std::string_view text = mark == std::string_view::npos ? tagged : tagged.substr(mark + 1);
  return std::string(text.substr(0, text.find('=')));
}

bool override_keys_overlap(std::string_view a, std::string_view b) {
  const auto trimmed = [](std::string_view k) {
    while (!k.empty() && (k.front() == ' ' || k.front() == '\t')) k.remove_prefix(1);
    while (!k.empty() && (k.back() == ' ' || k.back() == '\t')) k.remove_suffix(1);
    return k;
  };
  a = trimmed(a);
  b = trimmed(b);
  if (a.size() > b.size()) std::swap(a, b);
  return b.starts_with(a) && (b.size() == a.size() || b[a.size()] == '.' || b[a.size()] == '[');
}

std::string integer_out_of_range(std::string_view digits) {
  const bool negative = !digits.empty() && digits.front() == '-';
  return std::string(digits) + " is out of range: whole numbers go " +
         (negative ? "down to -9223372036854775808 (-2^63)" : "up to 9223372036854775807 (2^63 - 1)");
}

std::string override_shown(std::string_view tagged) {
  const auto mark = tagged.find(kOptionMark);
  return mark == std::string_view::npos ? "--set " + std::string(tagged) : std::string(tagged.substr(0, mark));
}

// range lives in config_reader.hpp
namespace {

constexpr double kVoltageLimit_mV = 500.0;
// The least tau_w_ms of a cell without adaptation (read_cell says why).
constexpr double kLeastTauWithoutAdaptation_ms = 1e-30;
const range kVoltage{-kVoltageLimit_mV, kVoltageLimit_mV};

// A table an override reaches into that the config gave as a value (`simulation = 5` with --seed 3): the config's
// error, named at its file:line as the loader names it without the option, with the option that reached into it after.
// It was "--seed 3: simulation is not a table", blaming the option (an outside audit, 2026-12-07).
[[noreturn]] void refuse_value_as_table(const toml::table& parent, const std::string& parent_dotted,
                                        const std::string& section, const config_origin& origin,
                                        const std::string& shown) {
  try {
    table_reader(parent, parent_dotted, std::make_shared<config_origin>(origin)).table(section);
  } catch (const config_error& e) {
    throw config_error(std::string(e.what()) + "; " + shown + " sets a key inside it");
  }
  throw config_error(shown + ": " + section + " is not a table");  // table() refuses it; not reached
}

// Applies one "a.b.key=value" override to the tree. The value is read as a TOML value; a bare word that is
// not valid TOML (e.g. rest) is taken as a string, so --set network.v_init_mode=rest works unquoted.
void apply_override(toml::table& root, const std::string& tagged, config_origin& origin) {
  const auto mark = tagged.find(kOptionMark);
  const std::string label = mark == std::string::npos ? std::string() : tagged.substr(0, mark);
  const std::string text = mark == std::string::npos ? tagged : tagged.substr(mark + 1);
  const std::string shown = override_shown(tagged);
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw config_error(shown + ": expected section.key=value");
  const std::string path = text.substr(0, eq), value_text = text.substr(eq + 1);
  toml::table* table = &root;
  std::string_view rest = path;
  for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
    const std::size_t consumed = path.size() - rest.size();
    const std::string parent_dotted = consumed == 0 ? std::string() : path.substr(0, consumed - 1);
    std::string section(rest.substr(0, dot));
    rest.remove_prefix(dot + 1);
    // An entry of an array of tables, named as errors name it: device.electrode[0].height_mm.
    std::optional<std::size_t> entry;
    if (const auto open = section.find('['); open != std::string::npos && section.back() == ']') {
      std::size_t i = 0;
      const char* first = section.data() + open + 1;
      const char* last = section.data() + section.size() - 1;
      const auto [end, error] = std::from_chars(first, last, i);
      // One spelling per entry ([1], never [01]): a sweep's axis and a --set name the same key only as the same text.
      if (error != std::errc{} || end != last || first == last || (*first == '0' && last - first > 1))
        throw config_error(shown + ": " + section + ": expected name[index], e.g. electrode[0]");
      entry = i;
      section.resize(open);
    }
    toml::node* node = table->get(section);
    if (entry) {
      toml::array* entries = node ? node->as_array() : nullptr;
      if (!entries || !node->is_array_of_tables())
        throw config_error(shown + ": " + section + " is not an array of tables ([[...]]) in this config");
      if (*entry >= entries->size())
        throw config_error(shown + ": " + section + "[" + std::to_string(*entry) + "]: the config has " +
                           std::to_string(entries->size()) + " entries (an override changes an entry, it adds none)");
      table = (*entries)[*entry].as_table();
      continue;
    }
    if (!node) {
      node = &table->insert_or_assign(section, toml::table{}).first->second;
      // A section only this override makes: an error about it names the override, not the config file.
      origin.overridden[path.substr(0, path.size() - rest.size() - 1)] = label;
    }
    if (node->is_array_of_tables())
      throw config_error(shown + ": " + section + " is an array of tables: name one entry, as " + section + "[0]");
    if (!node->is_table()) {
      const std::string dotted = parent_dotted.empty() ? section : parent_dotted + "." + section;
      if (!origin.overridden.contains(dotted)) refuse_value_as_table(*table, parent_dotted, section, origin, shown);
      throw config_error(shown + ": " + section + " is not a table");  // an earlier override made it a value
    }
    table = node->as_table();
  }
  if (rest.empty()) throw config_error(shown + ": empty key");
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value_text);
  } catch (const toml::parse_error&) {
    // 19 digits or more that TOML refuses are an integer beyond 64 bits, not a word: say so, not "not a string".
    const std::size_t digits_from = value_text.find_first_not_of("+-") == 1 ? 1 : 0;  // one sign at most
    if (value_text.size() >= digits_from + 19 &&
        value_text.find_first_not_of("0123456789", digits_from) == std::string::npos)
      throw config_error(shown + ": " + integer_out_of_range(value_text));
    // A number beyond a double (1e400) is not a word either: "must be a number, not a string" said it was none (an
    // outside audit, 2026-12-07).
    errno = 0;
    char* end = nullptr;
    const double number = std::strtod(value_text.c_str(), &end);
    if (!value_text.empty() && end == value_text.c_str() + value_text.size() && errno == ERANGE && std::isinf(number))
      throw config_error(shown + ": " + value_text + " is beyond the range of a double (magnitudes up to 1.8e308)");
    parsed.insert_or_assign("v", value_text);
  }
  const toml::node& value = *parsed.get("v");
  if (value.is_table() || value.is_array_of_tables()) {
    const toml::node* before = table->get(rest);
    origin.replaced[path] = before && (before->is_table() || before->is_array_of_tables());
  }
  table->insert_or_assign(std::string(rest), value);
  origin.overridden[path] = label;
}

engine::simulation_params read_simulation(table_reader t) {
  engine::simulation_params p;
  p.dt_ms = t.number("dt_ms", positive(1.0));
  p.tick_ms = t.number("tick_ms", positive(1000.0));
  p.seed = static_cast<std::uint64_t>(t.integer("seed", 0, kMaxSeed));
  p.duration_s = t.number("duration_s", positive(kMaxDurationS));
  // Optional, so that configs and recordings made before it still load: one worker.
  if (t.has("threads")) {
    const std::int64_t threads = t.integer("threads", std::numeric_limits<std::int64_t>::min(),
                                           std::numeric_limits<std::int64_t>::max());
    // Above the CPUs: the config.toml of a 2-thread run, re-run on one CPU, was refused without saying that the count
    // changes no result (an outside audit, 2026-12-07; replay takes 1 with a note).
    if (threads > max_threads())
      t.fail("threads", threads_refusal() + "; the thread count changes no result (docs/engine.md), so --threads " +
                            std::to_string(max_threads()) + " re-makes this run here");
    if (threads < 1) t.fail("threads", threads_refusal());
    p.threads = static_cast<unsigned>(threads);
  }
  const double ratio = p.tick_ms / p.dt_ms;
  if (std::fabs(ratio - std::round(ratio)) > 1e-9 * ratio)
    t.fail("tick_ms", "must be a whole number of dt_ms = " + format_number(p.dt_ms).str() + " steps");
  // A run is a whole number of ticks (rounded): one shorter than half a tick would write empty files and exit 0.
  if (p.duration_s * 1000.0 < 0.5 * p.tick_ms)
    t.fail("duration_s", "must be at least half a tick (tick_ms = " + format_number(p.tick_ms).str() +
                             " ms; a run is whole ticks): nothing would be simulated");
  t.finish();
  return p;
}

engine::adex_params read_cell(table_reader t, bool fraction, double dt_ms) {
  engine::adex_params c;
  c.c_pF = t.number("c_pF", positive(1e6));
  c.g_l_nS = t.number("g_l_nS", positive(1e6));
  // V and w step by forward Euler (engine/cells/adex.hpp): a membrane time constant C/g_L at or below dt makes the
  // leak's factor 1 - dt g_L/C zero or negative, and V overshoots E_L every step (g_l_nS = 5000 with c_pF = 200 fired
  // at 160 Hz where so leaky a cell is silent, c_pF = 0.01 at 1/t_ref: an outside audit, 2026-12-06).
  if (const double tau_m_ms = c.c_pF / c.g_l_nS; tau_m_ms <= dt_ms)
    t.fail("g_l_nS", "with c_pF = " + format_number(c.c_pF).str() + " the membrane time constant c_pF / g_l_nS = " +
                         format_number(tau_m_ms).str() + " ms must exceed simulation.dt_ms = " +
                         format_number(dt_ms).str() + " (V steps by forward Euler; decay factor 1 - dt g_L / C)");
  c.e_l_mV = t.number("e_l_mV", kVoltage);
  c.v_t_mV = t.number("v_t_mV", kVoltage);
  c.delta_t_mV = t.number("delta_t_mV", positive(100.0));
  c.v_spike_mV = t.number("v_spike_mV", kVoltage);
  c.v_reset_mV = t.number("v_reset_mV", kVoltage);
  c.t_ref_ms = t.number("t_ref_ms", {0.0, 1000.0});
  // Held for round(t_ref / dt) - 1 updates (engine/cells/adex.cpp): a t_ref between steps was rounded silently, where
  // delays must be whole steps (an outside check, 2026-12-05).
  check_whole_steps(t, "t_ref_ms", c.t_ref_ms, dt_ms, "simulation.dt_ms");
  c.a_nS = t.number("a_nS", {-1e4, 1e4});
  c.b_pA = t.number("b_pA", {-1e5, 1e5});
  c.tau_w_ms = t.number("tau_w_ms", positive(1e7));
  // tau_w_ms = 0.04 at dt 0.1 ms put +-inf into mean_w.npy and bursts of 631 Hz (an outside audit, 2026-12-06). A
  // cell without adaptation (a = b = 0) keeps w at its start, 0, for any tau_w whose factors dt / tau_w and 1 / tau_w
  // are finite floats (1e-40 made them inf, and 0 * inf NaN: every cell diverged every step, a review): from 1e-30 ms.
  if (c.adapts())
    check_euler_decay(t, "tau_w_ms", c.tau_w_ms, dt_ms, "simulation.dt_ms", "as w steps by forward Euler");
  else if (c.tau_w_ms < kLeastTauWithoutAdaptation_ms)
    t.fail("tau_w_ms", "must be at least " + format_number(kLeastTauWithoutAdaptation_ms).str() +
                           " ms (a cell without adaptation keeps w = 0, but the engine's factors dt / tau_w and "
                           "1 / tau_w must stay finite floats)");
  // Only the fraction network's cell adapts towards its own reversal; elsewhere the key is refused as unknown.
  c.e_a_mV = fraction ? t.number("e_a_mV", kVoltage) : c.e_l_mV;
  if (c.v_spike_mV <= c.v_t_mV) t.fail("v_spike_mV", "must be above v_t_mV = " + format_number(c.v_t_mV).str());
  if (c.v_reset_mV >= c.v_spike_mV)
    t.fail("v_reset_mV", "must be below v_spike_mV = " + format_number(c.v_spike_mV).str());
  t.finish();
  return c;
}

// [network.exc] / [network.inh] of a network of Hodgkin-Huxley cells (network.cell_model = "hh"; Carlu et al. 2020).
engine::hh_params read_hh_cell(table_reader t) {
  engine::hh_params c;
  c.c_pF = t.number("c_pF", positive(1e6));
  c.g_l_nS = t.number("g_l_nS", positive(1e6));
  c.e_l_mV = t.number("e_l_mV", kVoltage);
  c.g_na_nS = t.number("g_na_nS", {0.0, 1e7});
  c.e_na_mV = t.number("e_na_mV", kVoltage);
  c.g_k_nS = t.number("g_k_nS", {0.0, 1e7});
  c.e_k_mV = t.number("e_k_mV", kVoltage);
  c.g_m_nS = t.number("g_m_nS", {0.0, 1e7});
  c.v_t_mV = t.number("v_t_mV", kVoltage);
  c.v_spike_mV = t.number("v_spike_mV", kVoltage);
  c.v_init_low_mV = t.number("v_init_low_mV", kVoltage);
  c.v_init_high_mV = t.number("v_init_high_mV", kVoltage);
  c.p_init = t.number("p_init", {0.0, 1.0});
  // A spike is V passing v_spike upward, which the sodium current can carry V to only below E_Na, and from E_K up.
  if (c.e_k_mV >= c.e_na_mV)
    t.fail("e_k_mV", "must be below e_na_mV = " + format_number(c.e_na_mV).str());
  if (c.v_spike_mV <= c.e_k_mV || c.v_spike_mV >= c.e_na_mV)
    t.fail("v_spike_mV", "must lie between e_k_mV = " + format_number(c.e_k_mV).str() +
                             " and e_na_mV = " + format_number(c.e_na_mV).str() +
                             " (V can cross it upward only there)");
  if (c.v_init_high_mV < c.v_init_low_mV)
    t.fail("v_init_high_mV", "must be at least v_init_low_mV = " + format_number(c.v_init_low_mV).str());
  t.finish();
  return c;
}

// A transmission delay (ms): at most 1 s, and a whole number of steps (the engine delivers whole steps later).
double read_delay_ms(table_reader& t, const std::string& key, double dt_ms) {
  const double delay_ms = t.number(key, {0.0, 1000.0});
  check_whole_steps(t, key, delay_ms, dt_ms, "simulation.dt_ms");
  return delay_ms;
}

// [network.fraction]: the pathways of the Cakan & Obermayer 2020 network, named onto-from (k_ei: onto E from I),
// and [network.input]: its external white-noise input.
void read_fraction(table_reader t, table_reader input, engine::network_params& p, double dt_ms) {
  engine::fraction_network_params& f = p.fraction;
  f.integrator = t.choice("integrator", {"euler", "heun"}) == "heun" ? engine::fraction_integrator::heun
                                                                     : engine::fraction_integrator::euler;
  f.tau_s_exc_ms = t.number("tau_s_exc_ms", positive(1e4));
  f.tau_s_inh_ms = t.number("tau_s_inh_ms", positive(1e4));
  const char* names[2] = {"e", "i"};
  const std::int64_t sizes[2] = {p.n_exc(), p.n_inh()};
  for (int post = 0; post < 2; ++post)
    for (int pre = 0; pre < 2; ++pre) {
      const std::string pair = std::string(names[post]) + names[pre];
      engine::fraction_pathway& path = f.path[post][pre];
      // Distinct sources, no autapse; a cell's arrivals of one step are counted in 16 bits (partition::arrivals_).
      const std::int64_t most = std::min<std::int64_t>(65535, sizes[pre] - (post == pre ? 1 : 0));
      const std::string k_key = "k_" + pair;
      path.k_in = t.integer(k_key, 0, std::numeric_limits<std::int64_t>::max());
      if (path.k_in > std::max<std::int64_t>(most, 0))
        t.fail(k_key, "must be at most " + std::to_string(std::max<std::int64_t>(most, 0)) +
                          ": distinct sources from a population of " + std::to_string(sizes[pre]) + " cells" +
                          (post == pre ? " other than the target itself" : "") + " (and below 65536)");
      path.j_mV_per_ms = t.number("j_" + pair + "_mV_per_ms", {-1e4, 1e4});
      const std::string c_key = "c_" + pair + "_mV_per_ms";
      path.c_mV_per_ms = t.number(c_key, {0.0, 1e4});
      check_jump_fraction(t, c_key, path.c_mV_per_ms, "j_" + pair + "_mV_per_ms", path.j_mV_per_ms);
      path.delay_ms = read_delay_ms(t, "delay_" + pair + "_ms", dt_ms);
    }
  if (f.integrator == engine::fraction_integrator::euler) {
    check_euler_decay(t, "tau_s_exc_ms", f.tau_s_exc_ms, dt_ms, "simulation.dt_ms", "with integrator = \"euler\"");
    check_euler_decay(t, "tau_s_inh_ms", f.tau_s_inh_ms, dt_ms, "simulation.dt_ms", "with integrator = \"euler\"");
  }
  t.finish();
  f.mu_exc_mV_per_ms = input.number("mu_exc_mV_per_ms", {-1e4, 1e4});
  f.mu_inh_mV_per_ms = input.number("mu_inh_mV_per_ms", {-1e4, 1e4});
  f.sigma_exc_mV_per_sqrt_ms = input.number("sigma_exc_mV_per_sqrt_ms", {0.0, 1e4});
  f.sigma_inh_mV_per_sqrt_ms = input.number("sigma_inh_mV_per_sqrt_ms", {0.0, 1e4});
  input.finish();
}

// A network whose synapse rows alone (at least a byte a synapse, engine/synapses/gap_rows.hpp) would not fit in this
// machine's memory is refused here, with the figures, instead of after minutes of set-up with std::bad_alloc (or
// never: 10^7 cells at p = 0.05 are 5e12 synapses). So is one whose per-tick spike log would not (the engine keeps
// room for every cell spiking on every step of a tick, 12 bytes each: dt_ms = 1e-6 on 10k cells asked for 120 GB
// and ended in a bare "std::bad_alloc", an outside check).
void refuse_beyond_memory(const table_reader& t, const engine::network_params& p, const engine::simulation_params& s,
                          const table_reader& simulation) {
  const double rows = synapse_rows_bytes(p), log_bytes = spike_log_bytes(p, s);
  const network_memory_share share = network_memory_share_now();
  // Under mpirun, what the figures count: this process's part and this machine's.
  char ranks[160] = "";
  if (share.ranks > 1)
    std::snprintf(ranks, sizeof ranks, " (of which each of mpirun's %.0f ranks builds ~1/%.0f, %.0f of them on this "
                  "machine)", share.ranks, share.ranks, share.local_ranks);
  char text[600];
  if (const std::string beyond = beyond_memory(share.process(rows, 0), share.machine(rows, 0)); !beyond.empty()) {
    std::snprintf(text, sizeof text, "%lld cells make ~%.3g synapses: their rows need at least %.3g GB (a byte "
                  "each)%s, %s", static_cast<long long>(p.n_neurons), rows, rows / 1e9, ranks, beyond.c_str());
    t.fail("n_neurons", text);
  }
  const double steps_per_tick = std::round(s.tick_ms / s.dt_ms);
  if (const std::string beyond = beyond_memory(share.process(rows, log_bytes), share.machine(rows, log_bytes));
      !beyond.empty()) {
    std::snprintf(text, sizeof text, "%.3g steps per tick (tick_ms / dt_ms) for %lld cells: the tick's spike log (room "
                  "for every cell on every step, 12 bytes each) needs %.3g GB, with the synapses' %.3g GB%s %s; use a "
                  "larger dt_ms or a shorter tick_ms", steps_per_tick, static_cast<long long>(p.n_neurons),
                  log_bytes / 1e9, rows / 1e9, ranks, beyond.c_str());
    simulation.fail("dt_ms", text);
  }
}

// The Zerlaut units step nu += (dt/T) (F - nu) by forward Euler (engine/meanfield/ring.cpp). Near a fixed point the
// multiplier is 1 - (dt/T)(1 - F'), and the E-I loop's gain F' is strongly negative: at dt/T = 1 the ring rested at
// 42 Hz instead of 1.87 Hz, at 1.9 its rates went negative, at 2.5 to NaN (an outside audit, 2026-12-06), while up to
// dt/T = 0.5 the rates matched dt/T = 0.02 (docs/meanfield.md; the dt/T >= 1 runs on 1468c99's parent, which took
// them). Any dt <= T keeps nu >= 0 (a convex combination of nu and F >= 0); the measured accuracy needs T/2. With
// adaptation W steps by forward Euler at the same dt: tau_w_ms = 0.1 made the VSDi NaN.
void check_zerlaut_ring_step(table_reader& top, const engine::meanfield::meanfield_params& mf,
                             const engine::network_params& net, double ring_dt_ms) {
  if (ring_dt_ms > 0.5 * mf.t_ms)
    top.table("ring").fail("dt_ms", "must be at most half of meanfield.t_ms = " + format_number(mf.t_ms).str() +
                                        " ms: the units step their rates by forward Euler, nu += (dt/T)(F - nu), "
                                        "which at dt/T = 1 already rested at 42 Hz instead of 1.87 Hz");
  if (!mf.adaptation) return;
  table_reader network = top.table("network");
  const char* why = "as the ring's units step their adaptation W by forward Euler";
  table_reader exc = network.table("exc"), inh = network.table("inh");
  // W starts at the fixed point, 0 without adaptation (a = b = 0), and stays there whatever tau_w (read_cell's floor).
  if (net.exc.adapts()) check_euler_decay(exc, "tau_w_ms", net.exc.tau_w_ms, ring_dt_ms, "ring.dt_ms", why);
  if (net.inh.adapts()) check_euler_decay(inh, "tau_w_ms", net.inh.tau_w_ms, ring_dt_ms, "ring.dt_ms", why);
}

// One synaptic event of either kind must leave V's forward-Euler step stable: with G = g_L + q its factor is
// 1 - dt G / C, and at dt G / C >= 1 V overshoots the synapse's reversal. q_inh_nS = 3000 (dt G / C = 1.5 for the
// RS cell) took V to -118 mV, below E_inh, and the excitatory rate to 140 Hz, up from 12 Hz at 2000: stronger
// inhibition made the cells fire (an outside audit, 2026-12-06). Many events in one step can still add up past it;
// one event is the least a config must allow.
void check_one_event(const table_reader& t, const engine::network_params& p, double dt_ms) {
  for (const auto& [cell, pop] : {std::pair{&p.exc, "exc"}, std::pair{&p.inh, "inh"}})
    for (const auto& [q, key] : {std::pair{p.q_exc_nS, "q_exc_nS"}, std::pair{p.q_inh_nS, "q_inh_nS"}})
      if (const double factor = dt_ms * (cell->g_l_nS + q) / cell->c_pF; factor >= 1.0)
        // The cell's keys in full: a --set of network.exc.c_pF that caused it is then named as the cause (a review).
        t.fail(key, std::string("one event takes a network.") + pop + " cell's conductance to network." + pop +
                        ".g_l_nS + q = " + format_number(cell->g_l_nS + q).str() +
                        " nS, and V's forward-Euler step dt G / C = " + format_number(factor).str() +
                        " (simulation.dt_ms = " + format_number(dt_ms).str() + ", network." + pop +
                        ".c_pF = " + format_number(cell->c_pF).str() + ") must stay below 1");
}

engine::network_params read_network(table_reader t, double dt_ms) {
  engine::network_params p;
  p.n_neurons = t.integer("n_neurons", 1, 10'000'000);
  p.position_mm = t.has("position_mm") ? t.number("position_mm", {0.0, 1e5}) : 0.0;
  p.exc_fraction = t.number("exc_fraction", {0.0, 1.0});
  // Optional (configs before it are conductance networks). The fraction network has none of the conductance
  // keys or the drive: they are refused there as unknown rather than read and ignored.
  if (t.has("synapse_model") && t.choice("synapse_model", {"conductance", "fraction"}) == "fraction") {
    p.synapses = engine::synapse_model::fraction;
    p.v_init = t.choice("v_init_mode", {"uniform", "rest"}) == "rest" ? engine::v_init_mode::rest
                                                                       : engine::v_init_mode::uniform;
    p.drive.rate_Hz = 0.0;
    read_fraction(t.table("fraction"), t.table("input"), p, dt_ms);
    p.exc = read_cell(t.table("exc"), true, dt_ms);
    p.inh = read_cell(t.table("inh"), true, dt_ms);
    t.finish();
    return p;
  }
  p.p_connect = t.number("p_connect", {0.0, 1.0});
  p.q_exc_nS = t.number("q_exc_nS", {0.0, 1e4});
  p.q_inh_nS = t.number("q_inh_nS", {0.0, 1e4});
  p.tau_exc_ms = t.number("tau_exc_ms", positive(1e4));
  p.tau_inh_ms = t.number("tau_inh_ms", positive(1e4));
  p.e_exc_mV = t.number("e_exc_mV", kVoltage);
  p.e_inh_mV = t.number("e_inh_mV", kVoltage);
  // -400 and +400 mV were taken and the network fell silent without a word (an outside check, 2026-12-05).
  if (p.e_exc_mV <= p.e_inh_mV)
    t.fail("e_exc_mV", "must be above e_inh_mV = " + format_number(p.e_inh_mV).str() +
                           " (excitatory synapses drive V towards a higher reversal than inhibitory ones)");
  // Optional: the configs before them have none (0, as then).
  p.delay_exc_ms = t.has("delay_exc_ms") ? read_delay_ms(t, "delay_exc_ms", dt_ms) : 0.0;
  p.delay_inh_ms = t.has("delay_inh_ms") ? read_delay_ms(t, "delay_inh_ms", dt_ms) : 0.0;
  if (t.has("input")) {  // optional too: white noise (the fraction network's keys; its mu_* keys are not read here)
    table_reader input = t.table("input");
    for (auto [key, sigma] : {std::pair{"sigma_exc_mV_per_sqrt_ms", &p.sigma_exc_mV_per_sqrt_ms},
                              std::pair{"sigma_inh_mV_per_sqrt_ms", &p.sigma_inh_mV_per_sqrt_ms}})
      *sigma = input.has(key) ? input.number(key, {0.0, 1e4}) : 0.0;
    input.finish();
  }
  p.v_init = t.choice("v_init_mode", {"uniform", "rest"}) == "rest" ? engine::v_init_mode::rest
                                                                     : engine::v_init_mode::uniform;
  // Optional (AdEx before it). The HH cells' [network.exc] and [network.inh] have their own keys (read_hh_cell).
  if (t.has("cell_model") && t.choice("cell_model", {"adex", "hh"}) == "hh") {
    p.cells = engine::cell_model::hh;
    // The white noise is a current scaled by the AdEx cells' capacitance (network.cpp): not wired for HH cells.
    if (p.sigma_exc_mV_per_sqrt_ms != 0.0 || p.sigma_inh_mV_per_sqrt_ms != 0.0)
      t.fail("cell_model", "\"hh\" takes no white-noise input ([network.input] sigma_*_mV_per_sqrt_ms must be 0)");
  }
  {
    table_reader d = t.table("drive");
    p.drive.rate_Hz = d.number("rate_Hz", {0.0, 1e4});
    p.drive.k_exc = d.number("k_exc", {0.0, 1e6});
    p.drive.ramp_ms = d.number("ramp_ms", {0.0, 1e7});
    const double prob = dt_ms / 1000.0 * p.drive.k_exc * p.drive.rate_Hz;
    if (prob > 1.0)
      d.fail("rate_Hz", "with k_exc and simulation.dt_ms this is " + format_number(prob).str() +
                            " events per step per neuron; the Bernoulli drive allows at most 1");
    d.finish();
  }
  if (p.cells == engine::cell_model::hh) {
    p.hh_exc = read_hh_cell(t.table("exc"));
    p.hh_inh = read_hh_cell(t.table("inh"));
  } else {
    p.exc = read_cell(t.table("exc"), false, dt_ms);
    p.inh = read_cell(t.table("inh"), false, dt_ms);
    check_one_event(t, p, dt_ms);
  }
  t.finish();
  return p;
}

engine::stimulus_params read_stimulus(table_reader t, double dt_ms) {
  engine::stimulus_params s;
  s.kind = t.choice("kind", {"dc", "sine"}) == "sine" ? engine::stimulus_kind::sine : engine::stimulus_kind::dc;
  s.target = t.choice("target", {"exc", "inh"}) == "inh" ? engine::population::inh : engine::population::exc;
  s.amplitude_pA = t.number("amplitude_pA", {-1e6, 1e6});
  s.start_ms = t.number("start_ms", {0.0, 1e9});
  s.stop_ms = t.number("stop_ms", {0.0, 1e9});
  if (s.stop_ms <= s.start_ms) t.fail("stop_ms", "must be after start_ms = " + format_number(s.start_ms).str());
  // An entry acts on the steps that start in [start, stop) (engine/inputs/stimulus.hpp): edges between steps moved
  // by up to a step silently, and a window inside one step (1000 pA over 100.05-100.07 ms) delivered nothing (an
  // outside audit, 2026-12-06). Whole steps, as delays and t_ref are.
  check_whole_steps(t, "start_ms", s.start_ms, dt_ms, "simulation.dt_ms");
  check_whole_steps(t, "stop_ms", s.stop_ms, dt_ms, "simulation.dt_ms");
  if (s.kind == engine::stimulus_kind::sine) {
    s.frequency_Hz = t.number("frequency_Hz", positive(1e5));
    // A step takes the sine's mean over the step (engine/inputs/sine_step.hpp): above the step's Nyquist frequency
    // those means are ~0 and alias to a slow beat (9.9 kHz at dt 0.1 ms: a 100 Hz wave of 1 % of the amplitude),
    // which a run gave without a word.
    const double nyquist_Hz = 500.0 / dt_ms;
    if (s.frequency_Hz > nyquist_Hz) {
      std::ostringstream why;
      why << "is above the Nyquist frequency of simulation.dt_ms = " << format_number(dt_ms).view() << " ("
          << format_number(nyquist_Hz).view() << " Hz): each step would get the sine's mean over the step, ~0 and "
          << "aliased to a slower wave";
      t.fail("frequency_Hz", why.str());
    }
  }
  t.finish();  // refuses frequency_Hz on a dc entry, since it was not read
  return s;
}

toml::table parse_toml(std::string_view text, std::string_view source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream out;
    out << source_name << ":" << e.source().begin.line << ":" << e.source().begin.column
        << ": TOML syntax error: " << e.description();
    throw config_error(out.str());
  }
}

// Tables of `over` replace or extend those of `base`, key by key, recursively. The nodes are moved, not
// copied: toml++ copies a node without its source region, and an error message names the file and line of a
// value from that region (table_reader::where).
void merge_into(toml::table& base, toml::table&& over) {
  for (auto&& [key, node] : over) {
    toml::node* existing = base.get(key);
    if (existing && existing->is_table() && node.is_table())
      merge_into(*existing->as_table(), std::move(*node.as_table()));
    else
      base.insert_or_assign(key, std::move(node));
  }
}

// A config may start from another: `base = "other.toml"` (relative to the config's folder) loads that
// file first and lays this one over it, so derived configs restate only what they change. `base = ["a.toml",
// "b.toml"]` merges several in order (b over a), so that a config of two models (the network and the ALN node,
// configs/cakan2020/live_a1.toml) takes each from its own file instead of a copy.
// The files a config's bases are being read from (canonical paths, outermost first) and how many were read: a
// cycle is named as the chain that closes it, and a fan-out of base lists is bounded. Before, a 10-deep chain was
// refused as "deeper than 8 (a cycle?)" and nine files that each named the next six twice over were read
// exponentially often (over 60 s: an outside check, 2026-12-05).
struct base_walk {
  std::vector<std::filesystem::path> chain;
  int files_read = 0;
  static constexpr std::size_t kMaxDepth = 64;
  static constexpr int kMaxFilesRead = 256;
};

std::filesystem::path canonical_or_same(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::path c = std::filesystem::weakly_canonical(file, ec);
  return ec ? file : c;
}

toml::table resolve_base_in(toml::table root, const std::filesystem::path& folder, std::string_view source_name,
                            base_walk& walk) {
  const toml::node* base = root.get("base");
  if (!base) return root;
  std::vector<std::string> names;
  if (const toml::array* list = base->as_array()) {
    for (const toml::node& n : *list) {
      if (!n.is_string()) throw config_error(std::string(source_name) + ": base must be a file name or a list of them");
      names.push_back(*n.value<std::string>());
    }
    if (names.empty()) throw config_error(std::string(source_name) + ": base = []: name at least one file");
  } else if (base->is_string()) {
    names.push_back(*base->value<std::string>());
  } else {
    throw config_error(std::string(source_name) + ": base must be a file name string or a list of them");
  }
  toml::table merged;
  for (const std::string& name : names) {
    const std::filesystem::path file = folder / name;
    if (const std::string why = not_a_config_file(file); !why.empty())
      throw config_error(std::string(source_name) + ": base = \"" + name + "\": " + why + ": " + file.string() +
                         " (a base is looked for relative to the folder of the config that names it, " +
                         (folder.empty() ? std::string(".") : folder.string()) + ")");
    const std::filesystem::path canonical = canonical_or_same(file);
    if (const auto seen = std::find(walk.chain.begin(), walk.chain.end(), canonical); seen != walk.chain.end()) {
      std::string cycle;
      for (auto f = seen; f != walk.chain.end(); ++f) cycle += f->string() + " -> ";
      throw config_error(std::string(source_name) + ": base = \"" + name + "\" closes a cycle of bases: " + cycle +
                         canonical.string());
    }
    if (walk.chain.size() >= base_walk::kMaxDepth)
      throw config_error(std::string(source_name) + ": base = \"" + name + "\": a chain of bases deeper than " +
                         std::to_string(base_walk::kMaxDepth) + " files");
    if (++walk.files_read > base_walk::kMaxFilesRead)
      throw config_error(std::string(source_name) + ": base = \"" + name + "\": the bases name more than " +
                         std::to_string(base_walk::kMaxFilesRead) +
                         " files in all (a file counts each time a base list names it): lists that fan out repeat "
                         "their files");
    walk.chain.push_back(canonical);
    // A base that cannot be read (too large, a FIFO nothing writes to) is named with the config that names it: the
    // 16 MiB refusal named only the base (an outside audit's note, 2026-12-07).
    std::string text;
    try {
      text = read_config_file(file);
    } catch (const config_error& e) {
      throw config_error(std::string(source_name) + ": base = \"" + name + "\": " + e.what());
    }
    merge_into(merged, resolve_base_in(parse_toml(text, file.string()), file.parent_path(), file.string(), walk));
    walk.chain.pop_back();
  }
  root.erase("base");
  merge_into(merged, std::move(root));
  return merged;
}

// source_name is the config's file, or a name for a config given as text (then not a file, and not in the chain).
toml::table resolve_base(toml::table root, const std::filesystem::path& folder, std::string_view source_name) {
  base_walk walk;
  if (std::error_code ec; std::filesystem::is_regular_file(std::filesystem::path(source_name), ec))
    walk.chain.push_back(canonical_or_same(std::filesystem::path(source_name)));
  return resolve_base_in(std::move(root), folder, source_name, walk);
}

// The files of configs/ that are not an engine's config name what they are and what runs them: given in its place,
// each failed with "missing required key simulation.dt_ms", which did not say what the file was (an outside check).
void refuse_other_kinds_of_file(const toml::table& root, std::string_view source_name) {
  const std::string file(source_name);
  // A stimulus protocol (configs/cakan2020/fig4/): a [simulation] of its duration and its [[stimulus]], no model;
  // it is the second base of the configs that run it. Given alone it failed with "missing required key
  // simulation.dt_ms" (an outside check, 2026-12-06).
  if (!root.contains("network") && !root.contains("meanfield") && !root.contains("ring") && !root.contains("aln") &&
      !root.contains("server_config") && !root.contains("plasticity") && !root.contains("models")) {
    // A model section misspelt ([netwrok]) is named with its line, as a misspelt key is: it was called a stimulus
    // protocol without a word of the table (an outside audit, 2026-12-07).
    static const std::set<std::string, std::less<>> models = {"network", "meanfield", "ring", "aln"};
    for (const auto& [key, node] : root)
      if (const std::string near = nearest_name(key.str(), models); !near.empty())
        throw config_error(file + ":" + std::to_string(node.source().begin.line) + ": " + std::string(key.str()) +
                           ": unknown table (did you mean " + near + "?)");
    std::string why = file + ": no model section ([network], [meanfield], [ring] or [aln]): nothing to simulate";
    if (root.contains("stimulus"))
      why += ". A stimulus protocol such as this is a base of the configs that run it, after their model's (for "
             "example configs/cakan2020/fig4_a1.toml: base = [\"aln_a1.toml\", \"fig4/a1.toml\"])";
    else if (root.empty())
      why += " (the file holds no table or key)";
    throw config_error(why);
  }
  if (root.contains("simulation")) return;
  if (const auto server = root["server_config"].value<std::string>())  // configs/stimulation/
    throw config_error(file + ": an experiment file (server_config = \"" + *server +
                       "\"), not a server config: run it with `python3 -m cortexloop_client.experiments " + file +
                       "`, or give its server config here");
  if (root.contains("plasticity"))  // configs/plasticity/
    throw config_error(file + ": a plasticity experiment ([plasticity]), not an engine config: run it with "
                       "`cortexloop plasticity --config " + file + " --out DIR` (docs/plasticity.md)");
  if (root.contains("models"))  // configs/cakan2020/entrainment.toml
    throw config_error(file + ": a scan over models ([models]), not an engine config: run it with "
                       "`tools/aln_entrainment.py` (docs/aln.md), which reads it");
}

engine::engine_params read_params(toml::table root, std::string_view source_name,
                                  std::span<const std::string> overrides, config_use use = config_use::run) {
  auto origin = std::make_shared<config_origin>();
  origin->file = std::string(source_name);
  refuse_other_kinds_of_file(root, source_name);
  for (const std::string& o : overrides) apply_override(root, o, *origin);

  table_reader top(root, "", origin);
  engine::engine_params p;
  p.simulation = read_simulation(top.table("simulation"));
  if (top.has("aln")) p.aln = read_aln_section(top.table("aln"), p.simulation.dt_ms);
  // A ring of ALN units takes its units from [aln]; a ring of Zerlaut units takes its cells' parameters from
  // [network] and its transfer functions from [meanfield].
  const toml::table* ring_table = root["ring"].as_table();
  const bool aln_ring = ring_table && (*ring_table)["model"].value<std::string>() == std::string("aln");
  // A config of the ALN node (or a ring of ALN units) alone has no spiking network; every other config needs its
  // [network].
  if (top.has("network") || !p.aln || (ring_table && !aln_ring)) {
    p.network = read_network(top.table("network"), p.simulation.dt_ms);
  } else {
    p.network.n_neurons = 0;
  }
  if (top.has("stimulus")) {
    const toml::array& entries = top.array_of_tables("stimulus");
    for (std::size_t i = 0; i < entries.size(); ++i)
      p.stimuli.push_back(
          read_stimulus(table_reader(*entries[i].as_table(), "stimulus[" + std::to_string(i) + "]", origin),
                        p.simulation.dt_ms));
  }
  if (top.has("meanfield")) {
    // The mean field takes its cells' passive properties from [network]'s AdEx cells (meanfield::cell_synapses).
    if (p.network.cells == engine::cell_model::hh)
      top.fail("meanfield", "reads the passive properties of [network]'s AdEx cells, and network.cell_model = \"hh\" "
                            "has none; the HH network's mean field is configs/carlu2020/meanfield.toml, a config of "
                            "its own");
    p.meanfield = read_meanfield(top.table("meanfield"), p.network);
  }
  if (top.has("ring")) {
    if (aln_ring && !p.aln) top.table("ring").fail("model", "needs an [aln] section (the units' parameters)");
    if (!aln_ring && !p.meanfield) top.fail("ring", "needs a [meanfield] section (the ring's transfer functions)");
    p.ring = read_ring(top.table("ring"), p.simulation);
    if (aln_ring) {
      table_reader r = top.table("ring");
      if (p.ring->dt_ms > 1.0) r.fail("dt_ms", "must be at most 1 ms for ALN units (their Euler step)");
      for (const double delay : {p.aln->model.delay_e_ms, p.aln->model.delay_i_ms}) {
        const double n = delay / p.ring->dt_ms;
        if (std::abs(n - std::round(n)) > 1e-9 * std::max(1.0, n))
          r.fail("dt_ms", "must divide the ALN units' delays aln.delay_e_ms and aln.delay_i_ms (whole steps)");
      }
      // The units step their synapses by forward Euler at ring.dt_ms (up to 1 ms), not at simulation.dt_ms, which
      // read_aln_section checked: tau_se_ms = 0.5 at ring.dt_ms = 1 made a decay factor of -1 (a review, 2026-12-05).
      table_reader aln = top.table("aln");
      const char* why = "as the ring's ALN units step by forward Euler";
      check_euler_decay(aln, "tau_se_ms", p.aln->model.tau_se_ms, p.ring->dt_ms, "ring.dt_ms", why);
      check_euler_decay(aln, "tau_si_ms", p.aln->model.tau_si_ms, p.ring->dt_ms, "ring.dt_ms", why);
      check_euler_decay(aln, "tau_a_ms", p.aln->model.tau_a_ms, p.ring->dt_ms, "ring.dt_ms", why);
    } else {
      check_zerlaut_ring_step(top, *p.meanfield, p.network, p.ring->dt_ms);
      // The ring's units are first-order mean fields whatever meanfield.order says: order 2 was read, recorded among
      // the overrides and changed nothing (an outside audit, 2026-12-07).
      if (p.meanfield->order != 1)
        top.table("meanfield").fail("order", "a [ring]'s units are first-order mean fields (T dnu/dt = F - nu, Zerlaut "
                                             "et al. 2018, Sec. 2.6), not stepped with covariances; give 1 (the "
                                             "second order is the master equation's alone, docs/meanfield.md)");
    }
    if (p.network.position_mm >= p.ring->length_mm)
      top.table("network").fail("position_mm", "must be below ring.length_mm = " + format_number(p.ring->length_mm).str());
  }
  // A [[stimulus]] onto a population with no cell (a one-cell config's other population, exc_fraction 0 or 1, a
  // [ring] with network = "off") reaches nothing: the stimuli drive the network's cells and the [aln] node, not the
  // ring. It was run without a word and read back in the readout's i_stim_pA (an outside audit, 2026-12-07).
  if (!p.aln && top.has("stimulus")) {
    const toml::array& entries = top.array_of_tables("stimulus");
    for (std::size_t i = 0; i < p.stimuli.size(); ++i) {
      const std::string why = empty_population_reason(p, p.stimuli[i].target);
      if (!why.empty())
        table_reader(*entries[i].as_table(), "stimulus[" + std::to_string(i) + "]", origin)
            .fail("target", why + "; the stimulus would reach no cell");
    }
  }
  // What only a stepped network needs (a [ring] with network = "off" reads [network] for its units' cells and steps
  // none of it: the memory of 10,000 cells it never builds refused its small dt_ms, an outside audit, 2026-12-07).
  if (use == config_use::run && engine::steps_network(p)) {
    refuse_beyond_memory(top.table("network"), p.network, p.simulation, top.table("simulation"));
    // The drive's rate as its cells draw it (engine/inputs/drive.hpp): 0.07 Hz at k_exc 1 drew no event at all and
    // 0.001 Hz at k_exc 400 drew 17 % more than asked, both without a word (an outside audit, 2026-12-07).
    const std::string why =
        engine::drive_resolution_problem(p.network.drive.rate_Hz, p.network.drive.k_exc, p.simulation.dt_ms);
    if (!why.empty()) top.table("network").table("drive").fail("rate_Hz", why);
  }
  // simulation.threads above 1 for a config that steps no spiking network (a [ring] with network = "off", the [aln]
  // node alone): the workers split the network's cells and there are none, so the helpers were started, pinned and
  // left idle (simulate's worker_busy_s [0, 0]: an outside audit, 2026-12-06), where mpirun's ranks are refused for
  // such a config. Here, not in each command, so the refusal names the file's line as the others do (the command's
  // check named no place: an outside check) and every command that loads a config refuses it (replay took it).
  if (p.simulation.threads > 1 && !engine::steps_network(p)) {
    top.table("simulation").fail("threads", std::string("this config steps no spiking network (") +
                                 engine::no_network_reason(p) +
                                 "): the worker threads split the network's cells, and there are none to split (the "
                                 "ring and the ALN node are stepped by one thread); give 1 (or leave it out)");
  }
  if (top.has("device")) top.table("device");  // read by read_device_section, against these parameters
  top.finish();
  return p;
}

firmware_sim::device_params read_device_section(toml::table root, std::string_view source_name,
                                                std::span<const std::string> overrides,
                                                const engine::engine_params& engine) {
  auto origin = std::make_shared<config_origin>();
  origin->file = std::string(source_name);
  refuse_other_kinds_of_file(root, source_name);
  for (const std::string& o : overrides) apply_override(root, o, *origin);
  table_reader top(root, "", origin);
  return top.has("device") ? read_device(top.table("device"), engine) : default_device(engine);
}

}  // namespace

engine::simulation_params read_simulation_section(table_reader t) { return read_simulation(std::move(t)); }

bool override_sets(std::string_view tagged, std::string_view key) {
  if (!override_keys_overlap(override_key(tagged), key)) return false;
  // Applied to an empty tree: a whole table sets the key only if it holds it (`simulation={seed=7}` sets no
  // threads). A malformed override sets nothing here; the loader refuses it with its own message.
  toml::table root;
  config_origin origin;
  try {
    apply_override(root, std::string(tagged), origin);
  } catch (const config_error&) {
    return false;
  }
  return static_cast<bool>(root.at_path(key));
}

resolved_config resolve_config(const std::filesystem::path& file, std::span<const std::string> overrides) {
  resolved_config r;
  r.root = resolve_base(parse_toml(read_config_file(file), file.string()), file.parent_path(), file.string());
  auto origin = std::make_shared<config_origin>();
  origin->file = file.string();
  for (const std::string& o : overrides) apply_override(r.root, o, *origin);
  r.origin = std::move(origin);
  return r;
}

engine::engine_params parse_config(std::string_view text, std::string_view source_name,
                                   std::span<const std::string> overrides) {
  return read_params(resolve_base(parse_toml(text, source_name), ".", source_name), source_name, overrides);
}

std::string resolved_config_text(const std::filesystem::path& file, std::span<const std::string> overrides) {
  toml::table root = resolve_base(parse_toml(read_config_file(file), file.string()), file.parent_path(), file.string());
  config_origin origin;
  origin.file = file.string();
  for (const std::string& o : overrides) apply_override(root, o, origin);
  std::ostringstream out;
  out << root << '\n';
  return out.str();
}

engine::engine_params load_config(const std::filesystem::path& file, std::span<const std::string> overrides,
                                  config_use use) {
  return read_params(resolve_base(parse_toml(read_config_file(file), file.string()), file.parent_path(), file.string()),
                     file.string(), overrides, use);
}

}  // namespace cortexloop::io

namespace cortexloop::io {

firmware_sim::device_params parse_device_config(std::string_view text, std::string_view source_name,
                                                std::span<const std::string> overrides,
                                                const engine::engine_params& engine) {
  return read_device_section(resolve_base(parse_toml(text, source_name), ".", source_name), source_name, overrides,
                             engine);
}

firmware_sim::device_params load_device_config(const std::filesystem::path& file,
                                               std::span<const std::string> overrides,
                                               const engine::engine_params& engine) {
  return read_device_section(resolve_base(parse_toml(read_config_file(file), file.string()), file.parent_path(), file.string()),
                             file.string(), overrides, engine);
}

}  // namespace cortexloop::io
