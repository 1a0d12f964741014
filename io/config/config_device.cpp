#include "io/config/config_device.hpp"
#include "engine/network/steps_network.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "io/config/machine_memory.hpp"
#include "io/config/network_memory.hpp"
#include "io/protocol/format_number.hpp"

namespace cortexloop::io {

namespace {

namespace fw = firmware_sim;

double opt(table_reader& t, std::string_view key, double fallback, range allowed) {
  return t.has(key) ? t.number(key, allowed) : fallback;
}

fw::ring_geometry ring_of(const engine::engine_params& e) {
  if (!e.ring) return {};
  return {static_cast<std::uint32_t>(e.ring->n_units), e.ring->length_mm};
}

// Whether a model sits at the network's place and takes the population currents: the spiking network (unless
// [ring] turns it off, or the config has no [network]) or the [aln] node, which receives what the network would.
bool runs_network(const engine::engine_params& e) {
  return engine::steps_network(e) || e.aln.has_value();
}

double ring_length_mm(const engine::engine_params& e) { return e.ring ? e.ring->length_mm : 36.0; }

// A place on the ring, [0, length): the ring's end is its start (an outside check read "allowed [0, 36]" and then had
// 36 refused), for electrodes and sensing contacts alike.
range along_ring(double length_mm) { return {0.0, length_mm, false, true}; }

fw::electrode_params read_electrode(table_reader t, double length_mm) {
  fw::electrode_params e;
  e.position_mm = t.number("position_mm", along_ring(length_mm));
  e.height_mm = opt(t, "height_mm", e.height_mm, {0.0, 100.0});
  e.area_mm2 = opt(t, "area_mm2", e.area_mm2, {fw::kMinArea_mm2, 1e4});  // the least: electrode.hpp
  e.impedance_kOhm = opt(t, "impedance_kOhm", e.impedance_kOhm, positive(1e6));
  t.finish();
  return e;
}

fw::coupling_params read_coupling(table_reader t) {
  fw::coupling_params c;
  c.sigma_S_per_m = opt(t, "sigma_S_per_m", c.sigma_S_per_m, {fw::kMinSigma_S_per_m, 100.0});  // electrode.hpp
  c.exc_pA_per_V_per_m = opt(t, "exc_pA_per_V_per_m", c.exc_pA_per_V_per_m, {-1e4, 1e4});
  c.inh_pA_per_V_per_m = opt(t, "inh_pA_per_V_per_m", c.inh_pA_per_V_per_m, {-1e4, 1e4});
  c.tau_zero_ms = opt(t, "tau_zero_ms", c.tau_zero_ms, {0.0, 1e4});
  // At least 1 us, and a high-frequency gain tau_zero / tau_pole of at most 1000 (the default's is 5.1): a pole of
  // 1e-300 ms made the gain 2e301 and put NaN current into the network, which no safety limit saw (an outside check,
  // 2026-12-05).
  c.tau_pole_ms = opt(t, "tau_pole_ms", c.tau_pole_ms, {1e-3, 1e4});
  if (c.tau_zero_ms > 1000.0 * c.tau_pole_ms)
    t.fail("tau_pole_ms", "must be at least tau_zero_ms / 1000 = " +
                              format_number(c.tau_zero_ms / 1000.0).str() +
                              " ms: tau_zero_ms / tau_pole_ms is the coupling's gain at high frequencies");
  t.finish();
  return c;
}

fw::safety_limits read_safety(table_reader t, double dt_ms) {
  fw::safety_limits s;
  s.max_current_uA = opt(t, "max_current_uA", s.max_current_uA, positive(1e5));
  s.max_charge_per_phase_nC = opt(t, "max_charge_per_phase_nC", s.max_charge_per_phase_nC, positive(1e6));
  s.shannon_k = opt(t, "shannon_k", s.shannon_k, {-10.0, 10.0});
  s.max_net_charge_nC = opt(t, "max_net_charge_nC", s.max_net_charge_nC, {0.0, 1e9});
  s.net_charge_window_ms = opt(t, "net_charge_window_ms", s.net_charge_window_ms, positive(60'000.0));
  // The monitor sums the delivered charge per step over a ring of whole steps (firmware_sim/safety.cpp): a window
  // shorter than a step, or between two, was accepted and summed over a rounded window instead.
  if (const double steps = s.net_charge_window_ms / dt_ms;
      steps < 1.0 - 1e-9 || std::fabs(steps - std::round(steps)) > 1e-9 * steps)
    t.fail("net_charge_window_ms", "must be a whole number (at least 1) of simulation.dt_ms = " +
                                       format_number(dt_ms).str() +
                                       " ms steps: the monitor sums the charge per step");
  s.max_pulse_rate_Hz = opt(t, "max_pulse_rate_Hz", s.max_pulse_rate_Hz, positive(1e5));
  s.compliance_V = opt(t, "compliance_V", s.compliance_V, positive(1e4));
  s.max_direct_pA = opt(t, "max_direct_pA", s.max_direct_pA, positive(1e5));
  t.finish();
  return s;
}

// The net-charge monitor keeps kBytesPerWindowStep for each step of its window, per electrode, from set-up on
// (firmware_sim/safety.hpp): net_charge_window_ms = 60000 at dt 1 us is 6e7 steps, 960 MB an electrode, and with 8
// electrodes took 7.5 GB and 12 s of set-up without a check (an outside audit, 2026-12-07). Checked against this
// machine's memory with the network's least (its synapse rows and spike log, as the loader checks those), and refused
// at the window's key (or at the electrodes, when the window is the default). Against 80 % of the machine, and what
// is left of an address-space limit (io/config/machine_memory.hpp).
void refuse_window_beyond_memory(table_reader& t, const fw::stimulator_layout& layout,
                                 const engine::engine_params& engine) {
  if (layout.electrodes.empty()) return;
  const double steps = static_cast<double>(fw::charge_monitor::window_steps_of(layout.safety, layout.dt_us));
  const double window_bytes = static_cast<double>(layout.electrodes.size()) * steps *
                              static_cast<double>(fw::charge_monitor::kBytesPerWindowStep);
  const bool network = engine::steps_network(engine);
  const double rows = network ? synapse_rows_bytes(engine.network) : 0.0;
  const double log_bytes = network ? spike_log_bytes(engine.network, engine.simulation) : 0.0;
  const network_memory_share share = network_memory_share_now();
  // The device runs in serve, one process; simulate (under mpirun too) only checks its config.
  const std::string beyond = beyond_memory(window_bytes + share.process(rows, log_bytes),
                                           window_bytes + share.machine(rows, log_bytes));
  if (beyond.empty()) return;
  char text[500];
  std::snprintf(text, sizeof text, "%.3g steps of simulation.dt_ms in the net-charge window for each of %zu "
                "electrodes: the monitor (%zu bytes a step) needs %.3g GB, with the network's %.3g GB (synapses and "
                "spike log) %s; use a shorter window or a larger dt_ms",
                steps, layout.electrodes.size(), fw::charge_monitor::kBytesPerWindowStep, window_bytes / 1e9,
                (rows + log_bytes) / 1e9, beyond.c_str());
  if (t.has("safety")) {
    table_reader safety = t.table("safety");
    if (safety.has("net_charge_window_ms")) safety.fail("net_charge_window_ms", text);
  }
  t.fail("electrode", text);
}

fw::signal_kind read_signal(table_reader& t) {
  const std::string s =
      t.choice("signal", {"lfp_proxy", "rate_exc", "rate_inh", "ring_vsdi", "ring_rate_exc", "ring_rate_inh",
                          "aln_rate_exc", "aln_rate_inh"});
  if (s == "lfp_proxy") return fw::signal_kind::lfp_proxy;
  if (s == "rate_exc") return fw::signal_kind::rate_exc;
  if (s == "rate_inh") return fw::signal_kind::rate_inh;
  if (s == "ring_vsdi") return fw::signal_kind::ring_vsdi;
  if (s == "ring_rate_exc") return fw::signal_kind::ring_rate_exc;
  if (s == "ring_rate_inh") return fw::signal_kind::ring_rate_inh;
  if (s == "aln_rate_exc") return fw::signal_kind::aln_rate_exc;
  return fw::signal_kind::aln_rate_inh;
}

fw::sensing_params read_sensing(table_reader t, const fw::stimulator_layout& layout, double length_mm) {
  fw::sensing_params s;
  s.signal = read_signal(t);
  s.position_mm = opt(t, "position_mm", layout.network_position_mm, along_ring(length_mm));
  // A network or ALN signal is sensed where the network is: a position_mm elsewhere was read and ignored, the channel
  // sensing the network at network.position_mm all the same (an outside audit, 2026-12-06).
  if (!fw::is_ring_signal(s.signal) && t.has("position_mm") && s.position_mm != layout.network_position_mm)
    t.fail("position_mm", "sets where a ring_* signal is read; this channel's signal is read where the network and "
                          "the ALN node sit, network.position_mm = " + format_number(layout.network_position_mm).str() +
                          " mm: leave position_mm out, or sense a ring_* signal");
  s.height_mm = opt(t, "height_mm", s.height_mm, {0.0, 100.0});
  s.sample_rate_Hz = opt(t, "sample_rate_Hz", s.sample_rate_Hz, positive(1e6));
  s.adc_bits = static_cast<int>(t.has("adc_bits") ? t.integer("adc_bits", 1, 24) : s.adc_bits);
  s.range_min = opt(t, "range_min", s.range_min, {-1e9, 1e9});
  s.range_max = opt(t, "range_max", s.range_max, {-1e9, 1e9});
  s.noise_sd = opt(t, "noise_sd", s.noise_sd, {0.0, 1e9});
  s.seed = static_cast<std::uint64_t>(t.has("seed") ? t.integer("seed", 0, INT64_MAX) : static_cast<std::int64_t>(s.seed));
  s.artifact_gain_per_mV = opt(t, "artifact_gain_per_mV", s.artifact_gain_per_mV, {-1e9, 1e9});
  s.blanking_us = t.has("blanking_us") ? t.integer("blanking_us", 0, 10'000'000) : s.blanking_us;
  s.band_low_Hz = opt(t, "band_low_Hz", s.band_low_Hz, {0.0, 1e6});
  s.band_high_Hz = opt(t, "band_high_Hz", s.band_high_Hz, {0.0, 1e6});
  // One range, the device's (read after sample_rate_Hz, in (0, 1e6] here).
  const fw::rms_window_range window = fw::rms_window_range_of(s.sample_rate_Hz);
  s.rms_window_ms = opt(t, "rms_window_ms", s.rms_window_ms, {window.lo_ms, window.hi_ms});
  fw::reason_text reason;
  // The firmware names the field it refuses ("sensing.sample_rate_Hz = 3000: must be ..."): the refusal is made at
  // that key, so it names the line or --set that gave it (it named the entry's signal line, and the signal as its
  // enum number), without repeating the value.
  if (const std::string_view why = fw::validate(s, layout, reason); !why.empty()) {
    std::string key = "signal";
    std::string_view problem = why;
    if (why.starts_with("sensing.")) {
      const std::string field(why.substr(8, why.find(' ') - 8));
      if (field == "signal" || t.has(field)) {
        key = field;
        if (const std::size_t colon = why.find(": "); colon != std::string_view::npos) problem = why.substr(colon + 2);
      }
    }
    t.fail(key, problem);
  }
  t.finish();
  return s;
}

}  // namespace

firmware_sim::device_params default_device(const engine::engine_params& engine) {
  fw::device_params d;
  d.layout = fw::default_layout(engine.simulation.dt_ms, ring_of(engine), runs_network(engine));
  d.ring_max_mu_v_mV = engine.network.exc.v_t_mV;
  d.layout.network_position_mm = engine.network.position_mm;  // one source of truth: [network] position_mm
  d.layout.spiking_network = (!engine.ring || engine.ring->with_network) && engine.network.n_neurons > 0;
  d.layout.aln_node = engine.aln.has_value();
  return d;
}

firmware_sim::device_params read_device(table_reader t, const engine::engine_params& engine) {
  fw::device_params d = default_device(engine);
  const double dt_us = engine.simulation.dt_ms * 1000.0;
  if (std::fabs(dt_us - std::round(dt_us)) > 1e-9 * dt_us)
    t.fail("electrode", "the device needs simulation.dt_ms to be a whole number of microseconds");
  const double length_mm = ring_length_mm(engine);
  d.ring_max_mu_v_mV = opt(t, "ring_max_mu_v_mV", d.ring_max_mu_v_mV, {-200.0, 200.0});
  if (t.has("coupling")) d.layout.coupling = read_coupling(t.table("coupling"));
  if (t.has("safety")) d.layout.safety = read_safety(t.table("safety"), engine.simulation.dt_ms);
  auto each = [&](std::string_view key, std::size_t max_entries, auto read) {
    if (!t.has(key)) return;
    const toml::array& entries = t.array_of_tables(key);
    if (entries.size() > max_entries)
      t.fail(key, "at most " + std::to_string(max_entries) + " entries, got " + std::to_string(entries.size()));
    for (std::size_t i = 0; i < entries.size(); ++i)
      read(table_reader(*entries[i].as_table(), t.dotted(key) + "[" + std::to_string(i) + "]", t.origin()));
  };
  each("electrode", fw::kMaxElectrodes,
       [&](table_reader r) { d.layout.electrodes.push_back(read_electrode(std::move(r), length_mm)); });
  refuse_window_beyond_memory(t, d.layout, engine);
  each("sensing", fw::kMaxSensing,
       [&](table_reader r) { d.sensing.push_back(read_sensing(std::move(r), d.layout, length_mm)); });
  t.finish();
  return d;
}

}  // namespace cortexloop::io
