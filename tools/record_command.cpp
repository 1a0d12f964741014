#include "tools/build_json.hpp"
#include "tools/record_command.hpp"

#include <signal.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "engine/meanfield/ring_geometry.hpp"
#include "engine/network/steps_network.hpp"
#include "io/client/client.hpp"
#include "tools/curve_options.hpp"
#include "tools/endpoint_option.hpp"
#include "tools/number_checks.hpp"
#include "tools/option_override.hpp"
#include "tools/readout_rows.hpp"
#include "tools/record_gaps.hpp"
#include "tools/record_irregular.hpp"
#include "tools/record_restart.hpp"
#include "tools/record_session_check.hpp"
#include "io/runtime/clock.hpp"
#include "io/config/config_loader.hpp"
#include "io/recording/array_descriptions.hpp"
#include "io/recording/npy.hpp"
#include "io/recording/output_dir.hpp"
#include "io/protocol/session.hpp"

namespace cortexloop::tools {

namespace {

struct record_options {
  std::string out_dir;
  std::string pub = "tcp://127.0.0.1:5555";
  std::string commands = "tcp://127.0.0.1:5556";
  curve_client_cli curve;
  std::optional<double> duration_s;
  bool spikes = false;
  bool quiet = false;
  bool sync = false;
  // The server's config, for the geometry in summary.json (positions in mm): not on the wire.
  std::string config;
  std::vector<std::string> overrides;
  double timeout_s = 10.0;  // give up when nothing arrives this long after start
  double min_free_MB = 64.0;  // stop while the disk of out_dir still holds what is left to write plus this
};

// The recorder writes what it received, whatever it received: a string that is not valid UTF-8 (a reason
// from another server, a corrupt status) is written with U+FFFD in place of the bad bytes instead of
// making nlohmann::json throw and the whole recording be lost.
std::string dump_json(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One per-readout array of the recording, streamed to OUT/name (as name.partial until closed) as the readouts
// arrive: `record` held them all in memory until it stopped, ~2 KB a readout of configs/default.toml (its 100-unit
// ring), 7 GB an hour (noticed 2026-12-06). Opened at its first row, whose shape it then keeps; an array that not
// every readout carried is discarded at the end (the files written are as before).
class streamed_array {
 public:
  streamed_array(const char* name, const char* descr = "<f4") : name_(name), descr_(descr) {}
  void open(const std::filesystem::path& out, std::vector<std::size_t> row_shape) {
    if (w_) return;
    row_values_ = 1;
    for (const std::size_t d : row_shape) row_values_ *= d;
    w_ = std::make_unique<io::npy_row_writer>(out / name_, std::move(row_shape), descr_);
    append_missing(std::exchange(pending_missing_, 0));
  }
  template <class T>
  void add(const std::filesystem::path& out, row_shape shape, std::span<const T> row) {
    if (!w_) open(out, std::vector<std::size_t>(shape));
    w_->append(row);
    ++whole_rows_;
  }
  // A row of NaN (a float32 array's) for a readout that did not carry this array's values, or carried them in another
  // shape than the array's: the array keeps one row a readout, row i of ticks.npy. A readout without its device table
  // made record drop every device_*.npy, 2999 good rows with it, and a ring vector one short left ring_rates_exc.npy a
  // row behind ticks.npy (an outside audit, 2026-12-07). Before the array's first row (its shape unknown) the missing
  // rows are held and written when it opens.
  void add_missing() {
    if (w_) append_missing(1);
    else ++pending_missing_;
  }
  // Missing rows up to n (readouts after the last one that carried the array).
  void pad_to(std::int64_t n) {
    if (w_ && rows() < n) append_missing(n - rows());
  }
  // Rows that hold a readout's values (not NaN for a missing one).
  std::int64_t whole_rows() const { return whole_rows_; }
  std::int64_t rows() const { return w_ ? static_cast<std::int64_t>(w_->rows()) : 0; }
  void keep_rows(std::int64_t n) {
    if (w_) w_->keep_rows(static_cast<std::uint64_t>(std::max<std::int64_t>(n, 0)));
  }
  const char* name() const { return name_; }
  // Closes it under its name when `keep` (adding the name to `files`), else removes it. A close that fails (a full
  // disk) is said and leaves the rows in NAME.partial; the other files are still closed.
  void finish(bool keep, std::vector<std::string>& files) {
    if (!w_) return;
    if (keep) {
      try {
        w_->close();
        files.push_back(name_);
      } catch (const std::runtime_error& e) {
        std::fprintf(stderr, "record: error: %s (its rows so far stay in %s.partial)\n", e.what(), name_);
        w_.reset();  // its file is closed (close() ran finish()): the destructor does nothing more
        return;
      }
    } else {
      w_->discard();
    }
    w_.reset();
  }
  void discard() {
    if (w_) w_->discard();
    w_.reset();
  }

 private:
  void append_missing(std::int64_t n) {
    if (n <= 0) return;
    if (std::string_view(descr_) != "<f4") throw std::logic_error(std::string("record: no missing rows in ") + name_);
    const std::vector<float> nan_row(row_values_, std::numeric_limits<float>::quiet_NaN());
    for (std::int64_t i = 0; i < n; ++i) w_->append(std::span<const float>(nan_row));  // one row each, even of 0 values
  }
  const char* name_;
  const char* descr_;
  std::unique_ptr<io::npy_row_writer> w_;
  std::size_t row_values_ = 0;
  std::int64_t whole_rows_ = 0, pending_missing_ = 0;
};

// Everything received, in arrival order: the arrays streamed to `out`, the counts kept.
struct recording {
  explicit recording(std::filesystem::path out_dir) : out(std::move(out_dir)) {}
  // Opens the arrays written whatever arrives (0 rows when nothing does): once the recording begins (its first
  // message), not before, so that a recorder that receives nothing leaves --out as it found it.
  void begin() {
    for (streamed_array* a : {&rates, &mean_v, &mean_w, &stim, &out_of_table}) a->open(out, {2});
    lfp.open(out, {});
    hashes.open(out, {});
    ticks.open(out, {3});
  }
  std::filesystem::path out;
  streamed_array rates{"rates.npy"}, mean_v{"mean_v.npy"}, mean_w{"mean_w.npy"}, stim{"stim.npy"}, lfp{"lfp.npy"};
  streamed_array aln_rates{"aln_rates.npy"};  // [n, 2] E and I of the ALN node, when every readout carries one
  // [n, 2] the node's mean V and I_A of E (0 for I), as simulate's aln_mean_v.npy and aln_mean_w.npy.
  streamed_array aln_mean_v{"aln_mean_v.npy"}, aln_mean_w{"aln_mean_w.npy"};
  // [n, 2] per readout: the node's steps that read outside the cascade table's grid (clamped to its edge;
  // Readout.aln.out_of_table) and the ring's unit steps past an edge of its model (an ALN ring's table; a Zerlaut
  // ring's mu_V below E_inh or above max_mu_v_mV; Readout.ring_out_of_table), written with an ALN node or a ring.
  streamed_array out_of_table{"out_of_table.npy"};
  std::int64_t aln_out_of_table_steps = 0, ring_out_of_table_unit_steps = 0;
  bool aln_node_seen = false;  // a readout carried the [aln] node (a ring shows as n_ring > 0)
  streamed_array ring_rates{"ring_rates_exc.npy"}, ring_rates_inh{"ring_rates_inh.npy"}, vsdi{"vsdi.npy"},
      ring_stim{"ring_stim.npy"};
  streamed_array ticks{"ticks.npy", "<f8"};  // (epoch, tick, t_ms) per readout
  std::optional<std::uint32_t> first_epoch;   // of the first readout recorded
  std::uint64_t session_id = 0;              // the first readout's Readout.session_id (0: an older server)
  std::uint32_t n_ring = 0;
  std::int64_t readouts = 0, statuses = 0, acks = 0, spike_batches = 0;
  // Steps between readouts: the stream's decimation (stream.readout_every) or lost ticks (with 10, a recording that
  // lost nothing reported 1386 missing ticks: an outside check, 2026-12-04).
  readout_gaps steps;
  std::optional<std::int64_t> last_tick;
  std::uint32_t last_epoch = 0;
  nlohmann::json last_status;
  nlohmann::json info;  // the server's Info (topic "info"): sizes, dt, tick, seed, version
  std::optional<io::server_info> first_info;  // the first Info seen: its config, build and commands_applied
  streamed_array hashes{"readout_hash.npy", "<u8"};  // io::readout_hash of every readout (row i of ticks.npy)
  std::int64_t applied = 0, applied_gaps = 0;
  std::optional<std::int64_t> first_applied_index, last_applied_index;
  // The device (Readout.device), one frame per readout that carried it.
  streamed_array dev_sensing{"device_sensing.npy"};  // [frames][n_sensing][6]: signal, raw, filtered, rms, envelope, phase_rad
  streamed_array dev_blanked{"device_sensing_blanked.npy"};     // [frames][n_sensing]: 1 while the ADC value is held
  streamed_array dev_channels{"device_channels.npy"};           // [frames][8][3]: mean_current, peak_current, charge
  streamed_array dev_chan_state{"device_channel_state.npy"};    // [frames][8][2]: active, site_kind
  streamed_array dev_ctrl{"device_controllers.npy"};            // [frames][4][3]: feature, output, error
  streamed_array dev_ctrl_state{"device_controller_state.npy"};  // [frames][4][3]: kind, saturated, triggers
  streamed_array dev_electrodes{"device_electrodes.npy"};       // [frames][n_electrodes]: mean current (uA)
  streamed_array ring_domain{"ring_domain.npy"};                // [frames][2]: units out of domain, max exc mu_V (mV)
  // Every array, for discard_all and named.
  std::array<streamed_array*, 23> all() {
    return {&rates,       &mean_v,       &mean_w,         &stim,     &lfp,        &aln_rates,      &aln_mean_v,
            &aln_mean_w,  &out_of_table,
            &ring_rates,  &ring_rates_inh, &vsdi,         &ring_stim, &ticks,     &hashes,         &dev_sensing,
            &dev_blanked, &dev_channels, &dev_chan_state, &dev_ctrl, &dev_ctrl_state, &dev_electrodes, &ring_domain};
  }
  void discard_all() {
    for (streamed_array* a : all()) a->discard();
  }
  // The array streamed to `file`, for the rows of readout_rows.hpp.
  streamed_array& named(std::string_view file) {
    for (streamed_array* a : all())
      if (file == a->name()) return *a;
    throw std::logic_error("record: no array " + std::string(file));
  }
  // Appends a row of readout_rows.hpp's functions to its array.
  auto append_row() {
    return [this](const char* file, row_shape shape, auto values) { named(file).add(out, shape, values); };
  }
  std::int64_t device_frames = 0, events_total = 0, events_dropped = 0;
  std::uint32_t n_sensing = 0, n_channels = 0, n_controllers = 0, n_electrodes = 0;
  bool device_shape_changed = false;
  std::vector<float> row_;  // device_rows' row under construction

  irregular_readouts irregular;
  // Readouts without a device table (or ring vectors) before the first that had one: irregular once it comes.
  absent_before device_absent, ring_absent;
  std::array<streamed_array*, 8> device_arrays() {
    return {&dev_sensing, &dev_blanked, &dev_channels, &dev_chan_state, &dev_ctrl, &dev_ctrl_state, &dev_electrodes,
            &ring_domain};
  }
  std::array<streamed_array*, 4> ring_arrays() { return {&ring_rates, &vsdi, &ring_stim, &ring_rates_inh}; }

  // The readout's device frame, or a row of NaN in every device array (counted in `irregular`) when it has none or
  // one of another shape: one server's frames all have its config's shape.
  void add_device(const io::proto::Readout& r) {
    const io::proto::DeviceReadout* d = r.device();
    const auto size = [](const auto* v) { return v ? static_cast<std::uint32_t>(v->size()) : 0u; };
    if (!d) {
      for (streamed_array* a : device_arrays()) a->add_missing();
      if (device_frames > 0) irregular.incomplete(readouts, r.epoch(), r.tick(), "no device table (device_*.npy NaN)");
      else device_absent.note(r.epoch(), r.tick());
      return;
    }
    if (device_frames == 0) {
      n_sensing = size(d->sensing());
      n_channels = size(d->channels());
      n_controllers = size(d->controllers());
      n_electrodes = size(d->electrode_mean_ua());
      device_absent.now_present(irregular, "no device table (device_*.npy NaN)");
    } else if (n_sensing != size(d->sensing()) || n_channels != size(d->channels()) ||
               n_controllers != size(d->controllers()) || n_electrodes != size(d->electrode_mean_ua())) {
      device_shape_changed = true;  // cannot happen within one server; keep the arrays rectangular
      for (streamed_array* a : device_arrays()) a->add_missing();
      irregular.incomplete(readouts, r.epoch(), r.tick(), "a device table of another shape (device_*.npy NaN)");
      return;
    }
    device_rows(*d, row_, append_row());
    events_total = d->events_total();
    events_dropped = d->events_dropped();
    ++device_frames;
  }

  // The ring's rows: its vectors, each of n_ring values; one of another length, or absent where the readouts before
  // had it, gives that array a row of NaN (counted in `irregular`). ring_stim and ring_rates_inh are optional (a
  // server before them): absent from the first ring readout on, they are not written.
  void add_ring(const io::proto::Readout& r) {
    const auto* vsdi_v = r.vsdi_percent();
    if (n_ring == 0 && vsdi_v && vsdi_v->size() > 0) {
      n_ring = vsdi_v->size();
      ring_absent.now_present(irregular, "no ring vectors (ring arrays NaN)");
    }
    if (n_ring == 0) {
      for (streamed_array* a : ring_arrays()) a->add_missing();
      ring_absent.note(r.epoch(), r.tick());
      return;
    }
    const bool first = vsdi.rows() == 0 && ring_rates.rows() == 0;
    std::string why;
    const auto fits = [&](const char* field, const flatbuffers::Vector<float>* v, bool optional) {
      if (v && v->size() == n_ring) return true;
      if (!v && optional) return true;
      why += (why.empty() ? "" : ", ") + std::string(field) +
             (v ? " of " + std::to_string(v->size()) + " values, not the ring's " + std::to_string(n_ring) : " absent");
      return false;
    };
    // An optional vector counts as missing once a readout has carried it (its array is then written).
    const bool stim_ok = fits("ring_stim_pa", r.ring_stim_pa(), first || ring_stim.whole_rows() == 0);
    const bool inh_ok = fits("ring_rates_inh_hz", r.ring_rates_inh_hz(), first || ring_rates_inh.whole_rows() == 0);
    const bool exc_ok = fits("ring_rates_exc_hz", r.ring_rates_exc_hz(), false);
    const bool vsdi_ok = fits("vsdi_percent", vsdi_v, false);
    if (why.empty()) {
      ring_rows(r, n_ring, append_row());  // readout_rows.hpp's rows, as replay compares them
      return;
    }
    const auto row_of = [&](streamed_array& a, const flatbuffers::Vector<float>* v, bool ok) {
      if (ok && v) a.add(out, {n_ring}, std::span<const float>(v->data(), v->size()));
      else if (!ok || a.rows() > 0) a.add_missing();
    };
    row_of(ring_rates, r.ring_rates_exc_hz(), exc_ok);
    row_of(vsdi, vsdi_v, vsdi_ok);
    row_of(ring_stim, r.ring_stim_pa(), stim_ok);
    row_of(ring_rates_inh, r.ring_rates_inh_hz(), inh_ok);
    irregular.incomplete(readouts, r.epoch(), r.tick(), why + " (its ring rows NaN)");
  }

  void add(const io::proto::Readout& r) {
    if (!r.exc() || !r.inh())
      irregular.incomplete(readouts, r.epoch(), r.tick(),
                           std::string("no ") + (r.exc() ? "inh" : "exc") + " population (rates, mean_v, mean_w, stim NaN)");
    readout_rows(r, append_row());
    const auto* a = r.aln();
    const std::int64_t node_outside = a ? a->out_of_table() : 0;
    aln_out_of_table_steps += node_outside;
    ring_out_of_table_unit_steps += r.ring_out_of_table();
    aln_node_seen = aln_node_seen || a != nullptr;
    if (!first_epoch) first_epoch = r.epoch();
    if (!session_id) session_id = r.session_id();
    add_ring(r);
    add_device(r);
    steps.readout_after(last_tick && r.epoch() == last_epoch ? r.tick() - *last_tick : 0);
    last_tick = r.tick();
    last_epoch = r.epoch();
    ++readouts;
  }
};

nlohmann::json to_json(const io::proto::Status& s) {
  return {{"server_ticks", s.server_ticks()},       {"engine_tick", s.engine_tick()},
          {"epoch", s.epoch()},                     {"uptime_s", s.uptime_s()},
          {"realtime_factor", s.realtime_factor()}, {"deadline_misses", s.deadline_misses()},
          // deadlines missed in all = deadline_misses + ticks_skipped (docs/protocol.md, Status)
          {"ticks_skipped", s.ticks_skipped()},     {"resyncs", s.resyncs()},
          {"readout_every", s.readout_every()},
          {"lateness_total_p99_us", s.lateness_total_p99_us()},
          {"lateness_total_p999_us", s.lateness_total_p999_us()},
          {"lateness_total_max_us", s.lateness_total_max_us()},
          {"readout_drops", s.readout_drops()},     {"spike_drops", s.spike_drops()},
          {"safety_drops", s.safety_drops()},
          {"commands_received", s.commands_received()},
          {"commands_refused", s.commands_refused()},
          {"commands_dropped", s.commands_dropped()},
          {"event_drops", s.event_drops()},         {"status_drops", s.status_drops()},
          {"publish_drops", s.publish_drops()},
          {"ack_drops", s.ack_drops()},
          // CURVE: whether the session ran with it and the handshakes its ZAP handler admitted and refused.
          {"curve", s.curve()},                     {"curve_accepted", s.curve_accepted()},
          {"curve_denied", s.curve_denied()},
          {"scheduling", s.scheduling() ? s.scheduling()->str() : ""}};
}

constexpr const char* kSafetyLimits[] = {"none",        "max_current", "charge_per_phase", "charge_density",
                                         "net_charge",  "pulse_rate",  "compliance",       "direct_current",
                                         "watchdog",    "model_domain"};
constexpr const char* kSensedSignals[] = {"lfp_proxy",     "rate_exc",     "rate_inh",    "ring_vsdi",
                                          "ring_rate_exc", "ring_rate_inh", "aln_rate_exc", "aln_rate_inh"};

// --spikes' command: the server's spike stream (stream.spikes, the server's own setting, not this client's) on or
// off. Not awaited: its ack comes on the DEALER socket, and the recording does not keep it.
void send_spike_stream(io::client& client, bool on, std::chrono::milliseconds wait) {
  io::command c;
  c.kind = io::command_kind::set_parameter;
  c.parameter = io::parameter_id::stream_spikes;
  c.value = on ? 1 : 0;
  client.send(c, wait);
}

// The summary's "info": the server's sizes, step and seed as its Info (topic "info") or its GetInfo answer says.
nlohmann::json info_json(const io::server_info& i) {
  return {{"version", i.version},
          {"mode", static_cast<int>(i.mode)},
          {"dt_ms", i.dt_ms},
          {"tick_ms", i.tick_ms},
          {"seed", i.seed},
          {"epoch", i.epoch},
          {"n_exc", i.n_exc},
          {"n_inh", i.n_inh},
          {"ring_units", i.ring_units},
          {"ring_length_mm", i.ring_length_mm},
          {"aln", i.aln}};
}

nlohmann::json to_json(const io::proto::SafetyEvent& e) {
  const auto limit = static_cast<std::size_t>(e.limit());
  return {{"step", e.step()},
          {"channel", e.channel()},
          {"electrode", e.electrode()},
          {"limit", limit < std::size(kSafetyLimits) ? kSafetyLimits[limit] : std::to_string(limit)},
          {"limit_code", limit},
          {"value", e.value()},
          {"bound", e.bound()},
          {"reason", e.reason() ? e.reason()->str() : ""},
          {"epoch", e.epoch()}};
}

// A geometry (geometry_of) reduced to where things are: every "*_mm" key and the ring's n_units, through its objects
// and arrays. The step, the tick, the cell counts, a sensing channel's rate and ADC range, an electrode's area are not
// places: a difference in them was also called "places ... otherwise" (an outside check and a review, 2026-12-06).
nlohmann::json placement_of(const nlohmann::json& g) {
  if (g.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& x : g) out.push_back(placement_of(x));
    return out;
  }
  if (!g.is_object()) return g;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : g.items())
    if (value.is_structured()) out[key] = placement_of(value);
    else if (key.ends_with("_mm") || key == "n_units") out[key] = value;
  return out;
}

// Positions (mm along the ring, [0, length)) of what the config places: the ring's units, the network's
// patch, the electrodes and the sensing contacts. Read from the config given to record, which must be the
// server's (the wire does not carry them).
nlohmann::json geometry_of(const engine::engine_params& params, const firmware_sim::device_params& device) {
  nlohmann::json g = {{"dt_ms", params.simulation.dt_ms},
                      {"tick_ms", params.simulation.tick_ms},
                      {"network_position_mm", device.layout.network_position_mm},
                      {"network", {{"n_neurons", params.network.n_neurons}, {"n_exc", params.network.n_exc()}}}};
  if (params.ring) {
    g["ring"] = {{"n_units", params.ring->n_units},
                 {"length_mm", params.ring->length_mm},
                 {"unit_spacing_mm", engine::meanfield::ring_unit_position_mm(1, static_cast<std::size_t>(params.ring->n_units),
                                                                              params.ring->length_mm)}};
  }
  g["electrodes"] = nlohmann::json::array();
  for (const auto& e : device.layout.electrodes)
    g["electrodes"].push_back({{"position_mm", e.position_mm}, {"height_mm", e.height_mm}, {"area_mm2", e.area_mm2}});
  g["sensing"] = nlohmann::json::array();
  for (const auto& s : device.sensing) {
    const auto k = static_cast<std::size_t>(s.signal);
    const bool on_ring = s.signal == firmware_sim::signal_kind::ring_vsdi ||
                         s.signal == firmware_sim::signal_kind::ring_rate_exc ||
                         s.signal == firmware_sim::signal_kind::ring_rate_inh;
    g["sensing"].push_back({{"signal", k < std::size(kSensedSignals) ? kSensedSignals[k] : std::to_string(k)},
                            {"position_mm", on_ring ? s.position_mm : device.layout.network_position_mm},
                            {"sample_rate_Hz", s.sample_rate_Hz},
                            // the ADC's range, defaults included, for the plots' clip notes
                            {"range_min", s.range_min},
                            {"range_max", s.range_max}});
  }
  return g;
}

nlohmann::json geometry_from_config(const record_options& o) {
  check_keys_given_once(o.overrides);
  const engine::engine_params params = io::load_config(o.config, o.overrides);
  nlohmann::json g = geometry_of(params, io::load_device_config(o.config, o.overrides, params));
  g["source"] = o.config;
  g["overrides"] = o.overrides;
  return g;
}

// The geometry of the config the server published (Info.config_toml), or null when it cannot be read.
nlohmann::json geometry_of_server(const std::string& config_toml) {
  try {
    const engine::engine_params params = io::parse_config(config_toml, "the server's config (Info)");
    return geometry_of(params, io::parse_device_config(config_toml, "the server's config (Info)", {}, params));
  } catch (const std::exception&) {
    return nullptr;
  }
}

// The dotted keys at which two configs differ (a value changed, or a key in one only), in order, at most `max` of
// them: --config was checked only for where it placed things, so a config of other cells or another drive passed
// without a word and summary.json named it as the recording's (an outside check, 2026-12-06).
void differing_keys(const toml::table& a, const toml::table& b, const std::string& prefix,
                    std::vector<std::string>& out, std::size_t max) {
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(std::string(k.str()));
  for (const auto& [k, v] : b) keys.insert(std::string(k.str()));
  for (const std::string& k : keys) {
    if (out.size() >= max) return;
    const toml::node *x = a.get(k), *y = b.get(k);
    const std::string name = prefix.empty() ? k : prefix + "." + k;
    // How long the server runs and how many threads step it change no tick: `serve --duration 10` against its own
    // file was "not the config the server runs" (an outside check, 2026-12-06).
    if (name == "simulation.duration_s" || name == "simulation.threads") continue;
    if (x && y && x->is_table() && y->is_table()) {
      differing_keys(*x->as_table(), *y->as_table(), name, out, max);
      continue;
    }
    const auto text = [](const toml::node* n) {
      std::ostringstream t;
      if (n) n->visit([&t](const auto& v) { t << v; });
      return t.str();
    };
    // Numbers by value: the server's 20.0 and a --set's 20 are one value (they were a difference: an outside check).
    if (x && y && x->is_number() && y->is_number() && x->value<double>() == y->value<double>()) continue;
    if (!x || !y || text(x) != text(y)) out.push_back(name);
  }
}

int run_record(const record_options& o) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A file size limit (ulimit -f) then fails a write (EFBIG), which ends the recording with its files written,
  // instead of killing the recorder with everything it held.
  signal(SIGXFSZ, SIG_IGN);

  // Read the config first: a wrong path or key fails before anything is recorded, and before --out is created (a
  // bad --config left an empty folder behind: an outside check, 2026-12-05).
  nlohmann::json geometry = o.config.empty() ? nlohmann::json() : geometry_from_config(o);
  const std::filesystem::path out(o.out_dir);
  // The outermost folder of --out this run creates (none when --out exists): removed again, with what it made
  // under it, if the run ends with nothing written.
  std::filesystem::path created_root, out_abs = std::filesystem::absolute(out);
  if (!out_abs.has_filename()) out_abs = out_abs.parent_path();  // "rec/"
  for (std::filesystem::path p = out_abs; !p.empty() && !std::filesystem::exists(p); p = p.parent_path()) {
    created_root = p;
    if (p == p.parent_path()) break;
  }
  // Every file a session may write, checked before it starts: a live session cannot be recorded again. An earlier
  // recording's files there are removed only once this one begins (its first message): they were removed at the
  // start, and a recorder pointed at the wrong port deleted the recording in --out and wrote nothing (an outside
  // audit, 2026-12-06; simulate likewise waits for its set-up).
  constexpr std::array<std::string_view, 30> outputs = {
        "acks.jsonl", "commands.jsonl", "safety.jsonl", "session.json", "session.toml", "summary.json", "spikes.npy",
        "rates.npy", "mean_v.npy", "mean_w.npy", "stim.npy", "lfp.npy", "ticks.npy", "readout_hash.npy",
        "aln_rates.npy", "aln_mean_v.npy", "aln_mean_w.npy", "out_of_table.npy", "ring_rates_exc.npy", "ring_rates_inh.npy", "vsdi.npy", "ring_stim.npy",
        "ring_domain.npy",
        "device_sensing.npy", "device_sensing_blanked.npy", "device_channels.npy", "device_channel_state.npy",
        "device_controllers.npy", "device_controller_state.npy", "device_electrodes.npy"};
  io::check_output_dir(out, outputs);
  const io::output_dir_lock out_lock(out);  // one recorder per folder, for as long as it records
  io::client client(o.commands, o.pub, {}, o.curve.load());
  std::unique_ptr<io::npy_row_writer> spikes;  // with --spikes, from the recording's beginning
  // Said before --sync's handshake, which is itself the wait (it was printed after "record: subscribed").
  if (!o.quiet) std::fprintf(stderr, "record: waiting for a server publishing on %s ...\n", o.pub.c_str());
  // SUB sockets connect to nothing without complaint: say what we wait for, and give up after --timeout (counted
  // from here: --sync's handshake is part of the wait; it took 20 s of its own: an outside check, 2026-12-04).
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_s * 1000.0));
  const auto give_up_at = std::chrono::steady_clock::now() + timeout;
  // Sent before --sync's handshake, on the same connection, so that the spikes flow from the first tick recorded;
  // its wait for a connection is part of --timeout's.
  if (o.spikes) send_spike_stream(client, true, io::time_left(give_up_at));
  if (o.sync) {
    // Pings until one's ack comes back on the stream: from here on nothing published is missed (what arrived
    // during the handshake is not kept). Says so on stderr, even with --quiet: scripts wait for this line.
    // With GetInfo, which the server answers without applying anything: a recording for replay must not add
    // commands to the session it records.
    // In slices, looking for a stop signal between them (blocked here, taken by the loop below): Ctrl-C during the
    // handshake waited for the whole --timeout (an outside audit, 2026-12-06).
    const auto stop_pending = [&] {
      sigset_t pending;
      sigpending(&pending);
      return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1;
    };
    bool live = false, answered = false;
    while (!live && !stop_pending() && io::time_left(give_up_at).count() > 0) {
      live = client.sync_subscription(std::min(io::time_left(give_up_at), std::chrono::milliseconds(250)),
                                      io::command_kind::get_info);
      answered = answered || client.sync_answered();
    }
    if (live) {
      std::fprintf(stderr, "record: subscribed\n");
    } else if (!stop_pending()) {
      // The server on --commands answered GetInfo, and none of its acks came on --pub's stream: said as such, not
      // as "no answer" (the endpoints of two servers given: an outside check, 2026-12-07).
      if (answered) {
        std::fprintf(stderr,
                     "record: warning: the server on %s answers, but its acks never came on %s's stream in %g s "
                     "(--timeout): are --pub and --commands one server's? Recording what %s publishes%s\n",
                     o.commands.c_str(), o.pub.c_str(), o.timeout_s, o.pub.c_str(),
                     o.spikes ? "; --spikes turned on the spike stream of the server on --commands: turned off again"
                              : "");
        // --spikes' SetParameter went to that other server, which then published every tick's spikes to its own
        // subscribers for the whole recording (an outside check's note, 2026-12-07): off at once.
        if (o.spikes) send_spike_stream(client, false, std::chrono::milliseconds(100));
      } else
        std::fprintf(stderr, "record: no answer from the server in %g s (--timeout); recording what arrives\n",
                     o.timeout_s);
    }
  }
  recording rec(out);
  std::int64_t safety_events = 0;
  // Safety events (topic "safety") go to disk as they arrive, one JSON object per line, like the acks.
  std::ofstream safety_log;
  // Acks go to disk as they arrive, one JSON object per line: a long session keeps none of them in memory. Each line
  // flushed (the three logs), so that a killed recorder leaves them as it leaves its arrays' rows, and a full disk
  // is seen at the line that fails (SIGKILLed after 5 commands, all three were empty: an outside audit, 2026-12-06).
  std::ofstream ack_log;
  // Every command the real-time thread applied (topic "applied"), with its bytes: what `replay` re-sends.
  std::ofstream command_log;
  // The first log that cannot be written (nullptr: none).
  auto failed_log = [&]() -> const char* {
    using named_log = std::pair<const std::ofstream*, const char*>;
    for (const auto& [log, name] : {named_log{&safety_log, "safety.jsonl"}, named_log{&ack_log, "acks.jsonl"},
                                    named_log{&command_log, "commands.jsonl"}})
      if (!*log) return name;
    return nullptr;
  };
  // The recording's files: the earlier one's removed, this one's opened (see `outputs`).
  bool begun = false;
  auto begin_recording = [&] {
    if (begun) return;
    begun = true;
    io::remove_earlier_outputs(out, outputs);
    rec.begin();
    safety_log.open(out / "safety.jsonl");
    ack_log.open(out / "acks.jsonl");
    command_log.open(out / "commands.jsonl");
    if (const char* name = failed_log()) throw std::runtime_error((out / name).string() + ": cannot open for writing");
    if (o.spikes) spikes = std::make_unique<io::npy_row_writer>(out / "spikes.npy", 2);
  };
  std::vector<double> spike_rows;
  auto write_spikes = [&](const io::proto::SpikeBatch& b) {
    ++rec.spike_batches;
    spike_rows.clear();
    for (flatbuffers::uoffset_t i = 0; i < b.step()->size() && i < b.neuron()->size(); ++i) {
      spike_rows.push_back(static_cast<double>(b.step()->Get(i)) * b.dt_ms());
      spike_rows.push_back(b.neuron()->Get(i));
    }
    spikes->append(spike_rows);
  };
  const std::int64_t start_ns = io::monotonic_ns();
  double first_t_ms = NAN, last_t_ms = NAN;
  // --duration counts the simulated time recorded across epochs: t_ms restarts after a Reset (a 2 s recording
  // through one ran 14 s: an outside check, 2026-12-04). elapsed = before + (t_ms - origin) within an epoch.
  // The previous readout's epoch and tick are the recording's own (rec.last_epoch, rec.last_tick).
  double elapsed_before_ms = 0.0, epoch_origin_ms = NAN;
  // The tick, from an Info or from two readouts of one epoch (NaN until then: the stop waits for the readout past D).
  double tick_ms = NAN;
  int signal_number = 0;
  auto last_print = std::chrono::steady_clock::now();
  bool received_any = false, server_silent = false, server_restarted = false, duration_reached = false;
  restart_watch restarts;
  std::string info_source;  // where rec.first_info came from, for summary.json and the messages
  auto last_received = std::chrono::steady_clock::now();
  // Why the recorder itself ended the recording early: "disk space" or "write failed" (empty: it did not).
  std::string stopped_for;
  // The disk of --out, looked at every 50 ms: the recording stops with --min-free-MB still free (for its JSON files
  // and anything else on that disk), instead of running into a full disk (a full disk ended it with "write failed"
  // and no other file: seen on a 2 MB tmpfs, 2026-12-06; every array streams since).
  auto where_stopped = [&] {
    return rec.last_tick ? "after tick " + std::to_string(*rec.last_tick) : std::string("before any readout");
  };
  const auto margin_bytes = static_cast<std::uint64_t>(o.min_free_MB * 1e6);
  auto next_space_check = std::chrono::steady_clock::now();
  auto disk_low = [&] {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_space_check) return false;
    next_space_check = now + std::chrono::milliseconds(50);
    std::error_code ec;
    const std::filesystem::space_info space = std::filesystem::space(out, ec);
    if (ec) return false;  // a file system that does not say: nothing to go by
    if (space.available >= margin_bytes) return false;
    // Before the first message nothing was opened: --out is left as it was (an earlier recording there included).
    std::fprintf(stderr, "record: error: the disk of %s has %.1f MB free, less than --min-free-MB %g: %s\n", out.c_str(),
                 static_cast<double>(space.available) / 1e6, o.min_free_MB,
                 received_any ? ("recording stopped " + where_stopped() + "; closing its files").c_str()
                              : "nothing recorded, --out left as it was");
    return true;
  };
  // A file that could not be written (a full disk despite the check, a file size limit): the recording stops there
  // and its files are closed, rather than the process ending with an exception and its files' headers unwritten.
  auto write_failed = [&](const std::string& what) {
    std::fprintf(stderr, "record: error: %s: recording stopped %s; writing what was recorded\n", what.c_str(),
                 where_stopped().c_str());
    stopped_for = "write failed";
  };
  // Nothing was opened (begin_recording): an earlier recording in --out is left as it was, and the folders this run
  // made are removed if they are empty (they were left: an outside check and a review, 2026-12-06; remove() leaves
  // a folder that is not empty).
  auto leave_out_as_found = [&] {
    std::error_code ec;
    if (!created_root.empty())
      for (std::filesystem::path p = out_abs; std::filesystem::remove(p, ec); p = p.parent_path())
        if (p == created_root) break;
  };
  for (;;) {
    const timespec zero{0, 0};
    if (const int sig = sigtimedwait(&stop_signals, nullptr, &zero); sig > 0) {
      signal_number = sig;
      break;
    }
    if (disk_low()) {
      stopped_for = "disk space";
      break;
    }
    const auto m = client.receive(std::chrono::milliseconds(100));
    if (!m) {
      if (!received_any && std::chrono::steady_clock::now() >= give_up_at) {
        std::fprintf(stderr,
                     "record: error: nothing received from %s within %g s (--timeout); is `cortexloop serve` "
                     "running there? Nothing was written.\n",
                     o.pub.c_str(), o.timeout_s);
        leave_out_as_found();
        return 5;
      }
      // A live server publishes a status every second, paused or stepped too (docs/protocol.md): silence this
      // long means it stopped or the link broke. The recording so far is written, rather than waiting forever.
      if (received_any && std::chrono::steady_clock::now() - last_received >= timeout) {
        std::fprintf(stderr,
                     "record: nothing received from %s for %g s (--timeout): the server stopped or the link broke; "
                     "writing what was recorded\n",
                     o.pub.c_str(), o.timeout_s);
        server_silent = true;
        break;
      }
      continue;
    }
    received_any = true;
    last_received = std::chrono::steady_clock::now();
    begin_recording();
    const io::proto::Message* msg = m->message();
    // A server restarted on --pub (within --timeout of the last message) runs another session: the recording ends
    // with the last message of the one it recorded, which replay can then re-run.
    if (const std::optional<std::string> why = restarts.check(*msg)) {
      std::fprintf(stderr,
                   "record: the server on %s restarted (%s): recording stopped %s, at the end of the session it "
                   "recorded; writing what was recorded (record the new session with a new --out)\n",
                   o.pub.c_str(), why->c_str(), where_stopped().c_str());
      server_restarted = true;
      break;
    }
    if (const auto* r = msg->payload_as_Readout()) {
      // A readout of the tick just recorded (sent twice): recorded once, counted and named. It went into every array
      // a second time and replay called ticks.npy damaged (an outside audit, 2026-12-07). A tick before the last is a
      // restart (restart_watch above).
      if (rec.last_tick && r->epoch() == rec.last_epoch && r->tick() == *rec.last_tick) {
        rec.irregular.repeated(r->epoch(), r->tick());
        continue;
      }
      // --duration D keeps the readouts of D seconds: those from the first one's time t0 up to, not including,
      // t0 + D (D / tick_ms of them when every tick is streamed; it kept one more before).
      if (!rec.last_tick) {
        epoch_origin_ms = r->t_ms();
      } else if (r->epoch() != rec.last_epoch || r->tick() < *rec.last_tick) {  // a Reset, or a new server
        elapsed_before_ms += last_t_ms - epoch_origin_ms + r->t_ms();  // the new epoch's first tick follows on
        epoch_origin_ms = r->t_ms();
      }
      const double elapsed_ms = elapsed_before_ms + (r->t_ms() - epoch_origin_ms);
      if (o.duration_s && elapsed_ms >= *o.duration_s * 1000.0 - 1e-9) {
        duration_reached = true;
        break;
      }
      if (rec.last_tick && r->epoch() == rec.last_epoch && r->tick() > *rec.last_tick)
        tick_ms = (r->t_ms() - last_t_ms) / static_cast<double>(r->tick() - *rec.last_tick);
      try {
        rec.add(*r);  // streamed: a full disk or a file size limit fails here
      } catch (const std::runtime_error& e) {
        write_failed(e.what());
        break;
      }
      if (std::isnan(first_t_ms)) first_t_ms = r->t_ms();
      last_t_ms = r->t_ms();
      // Done as soon as the next readout would be past D: a stepped server sends it only when stepped again, and
      // record waited for it (an outside check, 2026-12-05: `stim step --ticks 500` after `record --duration 0.5`
      // gave every readout, and record ran on until the server stopped, then exited 5).
      const double next_ms = elapsed_ms + tick_ms * static_cast<double>(rec.steps.readout_every());
      if (o.duration_s && next_ms >= *o.duration_s * 1000.0 - 1e-9) {
        duration_reached = true;
        break;
      }
    } else if (const auto* ap = msg->payload_as_Applied()) {
      ++rec.applied;
      if (!rec.first_applied_index) rec.first_applied_index = ap->index();
      if (rec.last_applied_index && ap->index() != *rec.last_applied_index + 1) ++rec.applied_gaps;
      rec.last_applied_index = ap->index();
      std::string kind = "?";
      const std::span<const std::uint8_t> bytes =
          ap->command() ? std::span<const std::uint8_t>(ap->command()->data(), ap->command()->size())
                        : std::span<const std::uint8_t>();
      std::vector<std::uint8_t> aligned(bytes.begin(), bytes.end());
      if (const io::proto::Message* cm = io::verify_message(aligned); cm && cm->payload_as_Command()) {
        kind = io::proto::EnumNameCommandBody(cm->payload_as_Command()->body_type());
        const auto* set = cm->payload_as_Command()->body_as_SetParameter();
        if (ap->accepted() && set && set->name() && set->name()->string_view() == "stream.readout_every")
          rec.steps.set_readout_every(std::llround(set->value()), true);
      }
      const nlohmann::json line = {{"index", ap->index()},         {"tick", ap->tick()},
                                   {"epoch", ap->epoch()},         {"accepted", ap->accepted()},
                                   {"code", static_cast<int>(ap->code())},
                                   {"tick_applied", ap->tick_applied()},
                                   {"epoch_applied", ap->epoch_applied()},
                                   {"seq", ap->seq()},             {"kind", kind},
                                   {"command", io::base64_encode(bytes)}};
      command_log << dump_json(line) << '\n' << std::flush;
    } else if (const auto* i = msg->payload_as_Info()) {
      const io::server_info latest = io::to_server_info(*i);
      if (latest.tick_ms > 0.0) tick_ms = latest.tick_ms;
      if (!rec.first_info) {
        rec.first_info = latest;
        info_source = "the stream (--pub " + o.pub + ")";
      }
      rec.info = info_json(latest);
    } else if (const auto* s = msg->payload_as_Status()) {
      ++rec.statuses;
      rec.last_status = to_json(*s);
      if (s->readout_every() > 0) rec.steps.set_readout_every(s->readout_every(), false);
    } else if (const auto* a = msg->payload_as_Ack()) {
      ++rec.acks;
      const nlohmann::json line = {{"seq", a->seq()},
                                   {"accepted", a->accepted()},
                                   {"code", static_cast<int>(a->code())},
                                   {"tick_applied", a->tick_applied()},
                                   {"epoch", a->epoch()},
                                   {"reason", a->reason() ? a->reason()->str() : ""}};
      ack_log << dump_json(line) << '\n' << std::flush;
    } else if (const auto* e = msg->payload_as_SafetyEvent()) {
      ++safety_events;
      safety_log << dump_json(to_json(*e)) << '\n' << std::flush;
    } else if (const auto* b = msg->payload_as_SpikeBatch(); b && spikes && b->step() && b->neuron()) {
      try {
        write_spikes(*b);
      } catch (const std::runtime_error& e) {
        write_failed(e.what());
        break;
      }
    }
    if (const char* name = failed_log()) {
      write_failed((out / name).string() + ": write failed (" + std::strerror(errno) + ")");
      break;
    }
    if (!o.quiet && std::chrono::steady_clock::now() - last_print > std::chrono::seconds(2)) {
      last_print = std::chrono::steady_clock::now();
      std::fprintf(stderr, "record: %lld readouts (last tick %lld), %lld missing ticks\n",
                   static_cast<long long>(rec.readouts), static_cast<long long>(rec.last_tick.value_or(-1)),
                   static_cast<long long>(rec.steps.missing_ticks));
    }
  }
  // The server publishes a tick's spikes after its readout (and, when one drain holds several ticks, after the
  // readouts of them all): with --duration, the spikes of the ticks kept may still be on their way. Taken for up
  // to 100 ms, or until 20 ms pass without any message, and only those of the ticks kept.
  if (duration_reached && spikes && rec.last_tick) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    while (std::chrono::steady_clock::now() < until) {
      const auto m = client.receive(std::chrono::milliseconds(20));
      if (!m) break;
      const auto* b = m->message()->payload_as_SpikeBatch();
      if (b && b->step() && b->neuron() && b->epoch() == rec.last_epoch && b->tick() <= *rec.last_tick) write_spikes(*b);
    }
  }
  const double wall_s = static_cast<double>(io::monotonic_ns() - start_ns) / 1e9;
  // --spikes turned the server's spike stream on: off again, so that it does not go on publishing a batch a tick to
  // every subscriber after the recorder has gone (an outside check, 2026-12-06). The stream is the server's, not
  // this client's: one another client had turned on is turned off too (docs/protocol.md). Not awaited; not part of
  // the recording (its loop has ended).
  if (o.spikes && !server_restarted)  // a restarted server is another session's: nothing is sent to it
    send_spike_stream(client, false, std::chrono::milliseconds(100));
  // Stopped before any message (a signal, the disk): nothing recorded, --out left as found, as when nothing arrives
  // within --timeout. It wrote an empty recording whose session.json lacked the server's version, mode and seed, and
  // exited 0 as if it had recorded (an outside audit, 2026-12-06).
  if (!received_any) {
    if (signal_number)
      std::fprintf(stderr, "record: stopped by %s before anything arrived from %s: nothing was written\n",
                   strsignal(signal_number), o.pub.c_str());
    leave_out_as_found();
    // 130 / 143 as a process the signal ended (a supervisor's SIGTERM is not a silent server), 1 for the disk.
    return signal_number ? 128 + signal_number : 1;
  }
  rec.steps.finish();
  if (spikes) {
    try {
      spikes->close();
    } catch (const std::runtime_error& e) {
      if (stopped_for.empty()) throw;
      // Its rows so far stay readable under the .partial name (docs/engine.md): the other files still get written.
      std::fprintf(stderr, "record: %s; the other files are written\n", e.what());
    }
  }
  ack_log.close();
  safety_log.close();
  command_log.close();
  // A recording shorter than the server's info period (1 s) may have seen no Info: ask for it (not a restarted
  // server: its config would be taken for the session's).
  if (!rec.first_info && !server_restarted) {
    io::command get_info;
    get_info.kind = io::command_kind::get_info;
    // A server still there is connected already; one that has gone costs no more than 100 ms here.
    if (const auto ack = client.wait_ack(client.send(get_info, std::chrono::milliseconds(100)), std::chrono::milliseconds(2000));
        ack && ack->info) {
      rec.first_info = ack->info;
      info_source = "GetInfo on --commands " + o.commands;
    }
  }
  // The Info must be the recorded stream's: --pub of one server and --commands of another stored the second's config
  // and seed for the first's readouts, exit 0, and replay blamed the data (an outside audit, 2026-12-07). Both carry
  // the server's session id (0 from a server before schema_version 4: not checked).
  const session_check info_check = check_session(rec.first_info, rec.session_id, info_source, o.pub);
  if (info_check.foreign) rec.first_info.reset();  // another server's: neither its config nor its seed is stored
  // The summary's "info" (sizes, dt, seed) from that answer when no Info was published during the recording (a
  // stepped session of a few seconds): plot.py reads the network's size there.
  if (rec.info.is_null() && rec.first_info) rec.info = info_json(*rec.first_info);
  // --config must be the server's: one that places things elsewhere (another ring, electrodes the server does not
  // have) was written to summary.json without a word, and the plots drew them (an outside check, 2026-12-04). The
  // server publishes its config: its geometry wins, with a warning.
  // Without --config the server's config gives the geometry: the plots named the sensing channels "record --config
  // names it" and their units "unknown", which the live viewer read from the same Info (an outside check, 2026-12-05).
  nlohmann::json server = rec.first_info && !rec.first_info->config_toml.empty()
                              ? geometry_of_server(rec.first_info->config_toml)
                              : nlohmann::json();
  // --config (with its --set) against the whole config the server runs, key by key.
  std::vector<std::string> config_differs;
  if (!o.config.empty() && rec.first_info && !rec.first_info->config_toml.empty()) {
    try {
      differing_keys(toml::parse(io::resolved_config_text(o.config, o.overrides)),
                     toml::parse(rec.first_info->config_toml), "", config_differs, 8);
    } catch (const std::exception&) {
      config_differs = {"(the server's config could not be read)"};
    }
    if (!config_differs.empty()) {
      std::string keys;
      for (const std::string& k : config_differs) keys += (keys.empty() ? "" : ", ") + k;
      std::fprintf(stderr, "record: warning: --config %s%s is not the config the server runs (Info.config_toml): it "
                           "differs at %s%s; summary.json's geometry and session.toml are the server's\n",
                   o.config.c_str(), o.overrides.empty() ? "" : " with its --set", keys.c_str(),
                   config_differs.size() >= 8 ? " and maybe more" : "");
    }
  }
  nlohmann::json given = geometry;  // --config's, without the keys that say where it came from
  if (!given.is_null()) {
    given.erase("source");
    given.erase("overrides");
  }
  if (!server.is_null()) {
    if (geometry.is_null()) {
      server["source"] = "the server's config (Info.config_toml)";
      geometry = server;
    } else if (!config_differs.empty() || server != given) {
      // Only a difference of place is called one: with nothing but the cell count changed this also said "places
      // ... otherwise" (an outside check, 2026-12-06); the warning above names every differing key.
      if (placement_of(server) != placement_of(given))
        std::fprintf(stderr, "record: warning: --config %s places the ring, network, electrodes or sensing sites "
                             "otherwise than the config the server runs; summary.json's geometry is the server's\n",
                     o.config.c_str());
      server["source"] = "the server's config (Info.config_toml), not --config " + o.config;
      geometry = server;
    }
  }

  // The streamed arrays closed under their names (those not every readout carried removed), in the order of the
  // files list (summary.json's "files").
  // Each array holds the readouts recorded whole: a write that failed mid-readout left the arrays written before it
  // one row ahead (rates.npy 257 rows, ring_domain.npy 256: an outside re-check, 2026-12-06).
  for (streamed_array* a : {&rec.rates, &rec.mean_v, &rec.mean_w, &rec.stim, &rec.lfp, &rec.out_of_table, &rec.ticks,
                            &rec.hashes, &rec.aln_rates, &rec.aln_mean_v, &rec.aln_mean_w, &rec.ring_rates, &rec.vsdi,
                            &rec.ring_stim, &rec.ring_rates_inh})
    a->keep_rows(rec.readouts);
  // The device's arrays keep a row for each readout, NaN for one without a device frame (recording::add_device).
  for (streamed_array* a : rec.device_arrays()) {
    try {
      a->pad_to(rec.readouts);
    } catch (const std::runtime_error& e) {
      write_failed(e.what());
    }
    a->keep_rows(rec.readouts);
  }
  std::vector<std::string> files;
  // A server of an [aln] node alone (engine::aln_node_alone of its config): rates.npy, mean_v.npy and mean_w.npy
  // hold the node's, as simulate writes them, and there is no lfp.npy. record wrote the readouts' network fields
  // there, all 0 (an outside audit, 2026-12-07: "as simulate does", README). Known from the server's config at the
  // end, so the node's arrays are streamed on their own and copied.
  const bool with_node = rec.aln_rates.rows() == rec.readouts && rec.readouts > 0;
  bool node_alone = false;
  if (with_node && rec.first_info && !rec.first_info->config_toml.empty()) {
    try {
      node_alone = engine::aln_node_alone(io::parse_config(rec.first_info->config_toml, "the server's config (Info)"));
    } catch (const std::exception&) {
    }
  }
  for (streamed_array* a : {&rec.aln_rates, &rec.aln_mean_v, &rec.aln_mean_w}) a->finish(with_node, files);
  for (streamed_array* a : {&rec.rates, &rec.mean_v, &rec.mean_w}) {
    if (!node_alone) {
      a->finish(true, files);
      continue;
    }
    a->finish(false, files);
    const std::string node_file = std::string("aln_") + a->name();
    if (std::find(files.begin(), files.end(), node_file) == files.end()) continue;  // its close failed: said
    try {
      std::filesystem::copy_file(out / node_file, out / a->name(), std::filesystem::copy_options::overwrite_existing);
      files.push_back(a->name());
    } catch (const std::filesystem::filesystem_error& e) {
      std::fprintf(stderr, "record: error: %s: %s\n", a->name(), e.what());
    }
  }
  rec.stim.finish(true, files);
  rec.lfp.finish(!node_alone, files);
  rec.ticks.finish(true, files);
  files.push_back("acks.jsonl");
  rec.hashes.finish(true, files);
  files.push_back("commands.jsonl");
  // With an ALN node or a ring (a Zerlaut ring's column is 0: its units have their own check, ring_domain.npy).
  rec.out_of_table.finish(rec.aln_node_seen || rec.n_ring > 0, files);
  // The JSON files, each written or its failure said, after every array is closed: a full disk failed session.toml
  // with an exception that left 11 arrays unclosed and no summary.json (an outside check, 2026-12-06).
  bool text_failed = false;
  auto write_text = [&](const char* name, const std::string& text) {
    try {
      io::write_text_file(out / name, text);
      return true;
    } catch (const std::runtime_error& e) {
      std::fprintf(stderr, "record: error: %s\n", e.what());
      text_failed = true;
      return false;
    }
  };
  const std::int64_t ring_frames = rec.vsdi.rows();
  rec.ring_rates.finish(true, files);
  rec.vsdi.finish(true, files);
  // Kept when a readout carried them (a server before them sends none), every row there (NaN where one was missing).
  rec.ring_stim.finish(rec.ring_stim.whole_rows() > 0 && rec.ring_stim.rows() == ring_frames, files);
  // Streamed in every readout and recorded since 2026-12-05 (an outside check found them streamed, never kept).
  rec.ring_rates_inh.finish(rec.ring_rates_inh.whole_rows() > 0 && rec.ring_rates_inh.rows() == ring_frames, files);
  if (spikes) files.push_back("spikes.npy");
  files.push_back("safety.jsonl");
  // Kept whenever a readout carried a device frame: one readout without it dropped every device_*.npy (an outside
  // audit, 2026-12-07); its row is NaN now, named in "irregular_readouts".
  const bool device = rec.device_frames > 0;
  for (streamed_array* a : {&rec.dev_sensing, &rec.dev_blanked, &rec.dev_channels, &rec.dev_chan_state, &rec.dev_ctrl,
                            &rec.dev_ctrl_state, &rec.dev_electrodes})
    a->finish(device, files);
  rec.ring_domain.finish(device && rec.n_ring > 0, files);
  // The session: what `cortexloop replay` needs besides commands.jsonl and readout_hash.npy.
  nlohmann::json session = {{"commands", rec.applied},
                            {"first_command_index", rec.first_applied_index ? nlohmann::json(*rec.first_applied_index)
                                                                           : nlohmann::json()},
                            {"command_gaps", rec.applied_gaps},
                            {"readouts", rec.readouts},
                            {"missing_ticks", rec.steps.missing_ticks}};
  if (rec.first_info) {
    const io::server_info& i = *rec.first_info;
    const io::build_info& b = i.build;
    session["version"] = i.version;
    session["mode"] = io::to_string(i.mode);
    session["seed"] = i.seed;
    // The epoch of the first readout recorded: the first Info comes within a second and can follow a Reset that
    // the recording holds (replay reads the recording itself; this is for people).
    session["epoch_at_start"] = rec.first_epoch.value_or(i.epoch);
    session["commands_applied_before_first_info"] = i.commands_applied;
    session["build"] = build_json(b);
    session["config_fnv1a"] = engine::fnv1a_hex(io::fnv1a(i.config_toml));
    if (!i.config_toml.empty()) {
      if (write_text("session.toml", i.config_toml)) files.push_back("session.toml");
    }
  }
  if (write_text("session.json", dump_json(session, 2) + "\n")) files.push_back("session.json");
  nlohmann::json summary = {
      {"source", o.pub},
      {"readouts", rec.readouts},
      {"first_t_ms", std::isnan(first_t_ms) ? nlohmann::json() : nlohmann::json(first_t_ms)},
      {"last_t_ms", std::isnan(last_t_ms) ? nlohmann::json() : nlohmann::json(last_t_ms)},
      {"gaps", rec.steps.gaps},
      {"missing_ticks", rec.steps.missing_ticks},
      {"decimated_ticks", rec.steps.decimated_ticks},
      {"statuses", rec.statuses},
      {"acks", rec.acks},
      {"spike_batches", rec.spike_batches},
      {"wall_s", wall_s},
      {"stopped_by", !stopped_for.empty() ? stopped_for.c_str()
                     : signal_number ? strsignal(signal_number)
                     : server_silent ? "server silent"
                     : server_restarted ? "server restarted"
                                     : (o.duration_s ? "duration" : "")},
      {"last_status", rec.last_status},
      {"info", rec.info},
      {"files", files},
  };
  if (rec.aln_node_seen || rec.n_ring > 0)  // the run's totals, as simulate's summary gives them
    summary["out_of_table"] = {{"aln_steps", rec.aln_out_of_table_steps},
                               {"ring_unit_steps", rec.ring_out_of_table_unit_steps}};
  summary["irregular_readouts"] = rec.irregular.to_json();
  // Stream messages that failed FlatBuffers verification: not recorded (nothing in them can be read), counted.
  summary["unverified_messages"] = client.unverified_messages();
  summary["session"] = info_check.json;
  summary["session"]["replayable"] = rec.first_info.has_value();
  summary["device"] = {
      {"recorded", device},
      {"frames", rec.device_frames},
      {"missing_frames", device ? rec.readouts - rec.device_frames : 0},
      {"n_sensing", rec.n_sensing},
      {"n_channels", rec.n_channels},
      {"n_controllers", rec.n_controllers},
      {"n_electrodes", rec.n_electrodes},
      {"safety_events", safety_events},
      {"events_total", rec.events_total},
      {"events_dropped", rec.events_dropped},
      {"columns",
       {{"device_sensing", {"signal", "raw", "filtered", "rms", "envelope", "phase_rad"}},
        {"device_channels", {"mean_current", "peak_current", "charge"}},
        {"device_channel_state", {"active", "site_kind"}},
        {"device_controllers", {"feature", "output", "error"}},
        {"device_controller_state", {"kind", "saturated", "triggers"}},
        {"ring_domain", {"units_out_of_domain", "max_mu_v_mV"}}}},
      {"units",
       "channels: uA, uA, nC at an electrode site (site_kind 2), pA, pA, pA x ms per cell at a direct site; "
       "sensing: the signal's unit (docs/device.md); controllers: the feature's and the program amplitude's unit"}};
  if (rec.n_ring > 0) summary["ring_n_units"] = rec.n_ring;
  if (!geometry.is_null()) summary["geometry"] = geometry;
  if (!o.config.empty()) summary["config_check"] = {{"config", o.config}, {"differs_at", config_differs}};
  summary["arrays"] = io::arrays_json(files);  // shape, unit and columns of each array written
  if (node_alone) io::describe_aln_node_alone(summary["arrays"]);
  write_text("summary.json", dump_json(summary, 2) + "\n");
  if (!o.quiet)
    std::fprintf(stderr, "record: %lld readouts, %lld missing ticks, %lld acks in %.1f s -> %s\n",
                 static_cast<long long>(rec.readouts), static_cast<long long>(rec.steps.missing_ticks),
                 static_cast<long long>(rec.acks), wall_s, out.c_str());
  // What did not fit, said at the end where it is seen (a line at the time scrolled away among the progress lines).
  if (rec.irregular.incomplete_rows > 0)
    std::fprintf(stderr, "record: warning: %lld readout(s) lacked values the others carry; their rows are kept with NaN "
                         "there (summary.json irregular_readouts), the first: %s\n",
                 static_cast<long long>(rec.irregular.incomplete_rows), rec.irregular.first_named().c_str());
  if (rec.irregular.repeated_readouts > 0)
    std::fprintf(stderr, "record: warning: %lld readout(s) came twice and were recorded once (summary.json "
                         "irregular_readouts), the first: %s\n",
                 static_cast<long long>(rec.irregular.repeated_readouts), rec.irregular.repeated_named().c_str());
  if (client.unverified_messages() > 0)
    std::fprintf(stderr, "record: warning: %lld message(s) on %s failed FlatBuffers verification and were not recorded "
                         "(summary.json unverified_messages): not a cortexloop server's, or damaged on the way\n",
                 static_cast<long long>(client.unverified_messages()), o.pub.c_str());
  if (!rec.first_info)
    std::fprintf(stderr, "record: error: no Info of the recorded server (its config and seed): %s; the recording has no "
                         "session.toml and `cortexloop replay` cannot re-run it (its arrays are written)\n",
                 info_check.foreign ? "the one GetInfo on --commands answered is another server's"
                 : server_restarted ? "the server restarted before publishing one (it does once a second), and the new one's is not this session's"
                                    : "none was published while recording (once a second) and GetInfo on --commands got no answer");
  if (!stopped_for.empty() || text_failed) return 1;  // said above: stopped early, or a file not written
  if (!rec.first_info) return 6;                        // said above: not replayable
  // A --duration the server did not live to give; a restart (the rest of the session was not the one recorded).
  if ((server_silent && o.duration_s) || server_restarted) return 5;
  // Recorded, but the stream held readouts or messages that did not fit (said above).
  return rec.irregular.any() || client.unverified_messages() > 0 ? 4 : 0;
}

}  // namespace

void add_record_command(CLI::App& app) {
  auto o = std::make_shared<record_options>();
  CLI::App* cmd = app.add_subcommand(
      "record", "Subscribe to a running server and write what it publishes, as simulate does (summary.json, "
                "rates.npy, mean_v.npy, mean_w.npy, stim.npy, lfp.npy, ticks.npy [n,3] epoch/tick/t_ms, acks.jsonl, safety.jsonl; "
                "with an [aln] node aln_rates.npy [n,2] (E, I in Hz), aln_mean_v.npy, aln_mean_w.npy, and, without "
                "[network], its rates, V and I_A in rates.npy, mean_v.npy, mean_w.npy and no lfp.npy; with an [aln] node or a ring out_of_table.npy "
                "[n,2] (the node's steps outside the cascade table, the ring's unit steps outside the ALN table or, Zerlaut, with mu_V below E_inh or above max_mu_v_mV); "
                "ring, spike and device files when present: device_sensing.npy [n,sensing,6], device_channels.npy "
                "[n,8,3], device_controllers.npy [n,4,3], ...), and what `cortexloop replay` needs: session.toml (the resolved config), "
                "session.json (seed, version, build), commands.jsonl (every applied command, its bytes and tick), "
                "readout_hash.npy. Stops on Ctrl-C/SIGTERM or after --duration, keeping everything received");
  cmd->add_option("--out", o->out_dir, "Output folder (created)")->required();
  cmd->add_option("--pub", o->pub, "Server's PUB endpoint")->capture_default_str()->check(endpoint_text("the server's PUB"));
  cmd->add_option("--commands", o->commands, "Server's command endpoint (used by --spikes and --sync)")
      ->capture_default_str()
      ->check(endpoint_text("the server's command"));
  add_curve_client_options(cmd, o->curve);
  cmd->add_option("--duration", o->duration_s, "Stop after this many simulated seconds of readouts")
      ->check(positive_number);
  cmd->add_option("--timeout", o->timeout_s,
                  "Give up (exit 5) when nothing has arrived from the server this many seconds after start; once "
                  "it has, end the recording (written; exit 5 if --duration was not reached) when the server has "
                  "been silent this long (a live server publishes a status every second)")
      ->check(positive_number)
      ->capture_default_str();
  cmd->add_option("--min-free-MB", o->min_free_MB,
                  "Stop the recording (exit 1, its files closed) when the disk of --out has less than this many MB "
                  "free, checked every 50 ms")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--spikes", o->spikes,
                "Ask the server to stream spikes (stream.spikes = 1, turned off again when the recording ends) and "
                "write spikes.npy [n,2] (t_ms, neuron)");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress lines");
  cmd->add_flag("--sync", o->sync,
                "Before recording, send GetInfo until the subscription is live and print \"record: subscribed\" on stderr "
                "(GetInfo is answered without touching the engine: the recording adds no command to the session)");
  cmd->add_option("--config", o->config,
                  "The server's config, checked key by key against the one the server publishes (Info: a difference is "
                  "named on stderr and in summary.json's config_check), which otherwise gives "
                  "the geometry written to summary.json as \"geometry\" for the plots (ring length and units, "
                  "network position, electrodes, sensing sites; mm along the ring)")
      ->check(CLI::ExistingFile);
  CLI::Option* config_opt = cmd->get_option("--config");
  // Without --config there is nothing for them to change: they were ignored without a word (an outside check).
  cmd->add_option("--set", o->overrides, "section.key=value overrides the server was started with (needs --config)")
      ->needs(config_opt);
  cmd->footer("Exit codes: 0 recorded (stopped by Ctrl-C, SIGTERM or --duration; the files written); 1 it failed "
              "(named: e.g. --out cannot be written), or it stopped early for lack of disk space (--min-free-MB) or a "
              "file it streams could not be written (what was recorded is written; summary.json's stopped_by says "
              "which), or another run writes into --out; 2 the command line or --config is wrong; 4 recorded, but the stream held "
              "readouts or messages that did not fit the session, each counted in summary.json and named on stderr: a "
              "readout without the device table or a ring vector the others carry, or one of another length (its row "
              "kept, NaN there: irregular_readouts), a readout sent twice (recorded once), a message that fails "
              "verification (not recorded: unverified_messages); 5 the server was "
              "silent: nothing arrived within --timeout (nothing written, --out as it was), or it fell silent before --duration, or it restarted (a new session on --pub: the recording ends with "
              "the session it recorded; what arrived is written); 130 / 143 stopped by Ctrl-C / SIGTERM before anything arrived "
              "(nothing written, --out as it was); 6 recorded, but no Info of the recorded server arrived (it publishes one a "
              "second; the server was gone before its first, or GetInfo on --commands was answered by another server "
              "than --pub's): the arrays are written, but there is no session.toml and replay cannot re-run them. "
              "Codes are by precedence 1, 6, 5, 4. Killed (SIGKILL) or crashed, it leaves each array as NAME.npy.partial (the rows so far, "
              "readable; header not final) and no session.toml or summary.json: such a folder cannot be replayed.");
  cmd->callback([o] {
    if (const int rc = run_record(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
