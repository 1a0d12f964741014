// io::readout_hash (io/protocol/session.cpp), the hash `cortexloop record` stores for every readout and `cortexloop
// replay` compares: every field of the wire Readout, nested device sensing/channel/controller/event and ALN fields
// included, feeds it, so that equal hashes mean bit-identical readouts (session.hpp). The list of fields is the
// schema's (io/protocol/schema/cortexloop.fbs), read from the .fbs at run time: a field added to the schema and not
// to this test fails the test, until it is listed here and shown to feed the hash (or listed as left out, with why).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/protocol/session.hpp"

using namespace cortexloop;
namespace proto = io::proto;

namespace {

// A readout as plain values (every field of the schema), built into a FlatBuffer by build().
struct pop_v {
  double rate_hz = 3.5, mean_v_mv = -61.25, mean_w_pa = 12.5, i_stim_pa = 40.0;
  std::int64_t spikes = 17;
};
struct sensed_v {
  double signal = 1.5, raw = 1.25, filtered = 0.75, rms = 0.5, envelope = 0.625, phase_rad = 2.0;
  bool blanked = false;
};
struct channel_v {
  double mean_current = 20.0, peak_current = 30.0, charge = 0.002;
  bool active = true;
  proto::SiteKind site_kind = proto::SiteKind::Electrode;
};
struct controller_v {
  proto::ControllerKind kind = proto::ControllerKind::PiClamp;
  bool saturated = false;
  double feature = 9.5, output = 120.0, error = 0.5;
  std::int64_t triggers = 4, last_trigger_step = 900;
};
struct event_v {
  std::int64_t step = 1234;
  std::int16_t channel = 2, electrode = 1;
  proto::SafetyLimit limit = proto::SafetyLimit::MaxCurrent;
  double value = 1200.0, bound = 1000.0;
  std::string reason = "max current";
  std::uint32_t epoch = 3;
};
struct device_v {
  std::vector<sensed_v> sensing = {sensed_v{}, sensed_v{2.5, 2.25, 1.75, 1.5, 1.625, 3.0, false}};
  std::vector<channel_v> channels = {channel_v{}, channel_v{-5.0, 6.0, -0.001, true, proto::SiteKind::Population}};
  std::vector<double> electrode_mean_ua = {20.0, -5.0};
  std::vector<controller_v> controllers = {controller_v{},
                                           controller_v{proto::ControllerKind::Responsive, false, 3.0, 0.0, 0.0, 2, 700}};
  std::vector<event_v> events = {event_v{}, event_v{1300, 3, 0, proto::SafetyLimit::NetCharge, 5.0, 4.0, "net", 3}};
  std::int64_t events_total = 7, events_dropped = 1;
  std::uint32_t ring_units_out_of_domain = 2;
  double ring_max_mu_v_mv = -48.5;
};
struct aln_v {
  double rate_e_hz = 4.5, rate_i_hz = 11.0, v_mean_e_mv = -63.0, i_a_pa = 25.0;
  std::int64_t diverged = 1, out_of_table = 2;
};
struct readout_v {
  std::int64_t tick = 41;
  std::uint32_t epoch = 3;
  double t_ms = 42.0;
  std::int64_t tick_start_ns = 1'000'000'000, publish_ns = 1'000'500'000;
  std::optional<pop_v> exc = pop_v{}, inh = pop_v{18.0, -58.5, 0.0, -3.0, 40};
  double lfp_proxy_na = 3.25;
  std::int64_t diverged = 1;
  std::vector<float> ring_rates_exc_hz = {1.0f, 2.0f, 3.0f}, vsdi_percent = {0.1f, 0.2f, 0.3f},
                     ring_stim_pa = {0.0f, 5.0f, 0.0f}, ring_rates_inh_hz = {7.0f, 8.0f, 9.0f};
  std::optional<device_v> device = device_v{};
  std::optional<aln_v> aln = aln_v{};
  std::int64_t ring_out_of_table = 3;
  std::uint64_t session_id = 0x5eed;
};

std::uint64_t hash_of(const readout_v& r) {
  flatbuffers::FlatBufferBuilder b;
  flatbuffers::Offset<proto::DeviceReadout> device = 0;
  if (r.device) {
    const device_v& d = *r.device;
    std::vector<proto::SensedSample> sensing;
    for (const auto& s : d.sensing)
      sensing.emplace_back(s.signal, s.raw, s.filtered, s.rms, s.envelope, s.phase_rad, s.blanked);
    std::vector<proto::ChannelDelivery> channels;
    for (const auto& c : d.channels) channels.emplace_back(c.mean_current, c.peak_current, c.charge, c.active, c.site_kind);
    std::vector<proto::ControllerState> controllers;
    for (const auto& c : d.controllers)
      controllers.emplace_back(c.kind, c.saturated, c.feature, c.output, c.error, c.triggers, c.last_trigger_step);
    std::vector<flatbuffers::Offset<proto::SafetyEvent>> events;
    for (const auto& e : d.events)
      events.push_back(proto::CreateSafetyEvent(b, e.step, e.channel, e.electrode, e.limit, e.value, e.bound,
                                                b.CreateString(e.reason), e.epoch));
    device = proto::CreateDeviceReadout(b, b.CreateVectorOfStructs(sensing), b.CreateVectorOfStructs(channels),
                                        b.CreateVector(d.electrode_mean_ua), b.CreateVectorOfStructs(controllers),
                                        b.CreateVector(events), d.events_total, d.events_dropped,
                                        d.ring_units_out_of_domain, d.ring_max_mu_v_mv);
  }
  flatbuffers::Offset<proto::AlnReadout> aln = 0;
  if (r.aln)
    aln = proto::CreateAlnReadout(b, r.aln->rate_e_hz, r.aln->rate_i_hz, r.aln->v_mean_e_mv, r.aln->i_a_pa,
                                  r.aln->diverged, r.aln->out_of_table);
  std::optional<proto::PopulationReadout> exc, inh;
  if (r.exc) exc.emplace(r.exc->rate_hz, r.exc->mean_v_mv, r.exc->mean_w_pa, r.exc->i_stim_pa, r.exc->spikes);
  if (r.inh) inh.emplace(r.inh->rate_hz, r.inh->mean_v_mv, r.inh->mean_w_pa, r.inh->i_stim_pa, r.inh->spikes);
  const auto root = proto::CreateReadout(
      b, r.tick, r.epoch, r.t_ms, r.tick_start_ns, r.publish_ns, exc ? &*exc : nullptr, inh ? &*inh : nullptr,
      r.lfp_proxy_na, r.diverged, b.CreateVector(r.ring_rates_exc_hz), b.CreateVector(r.vsdi_percent),
      b.CreateVector(r.ring_stim_pa), b.CreateVector(r.ring_rates_inh_hz), device, aln, r.ring_out_of_table, r.session_id);
  b.Finish(root);
  return io::readout_hash(*flatbuffers::GetRoot<proto::Readout>(b.GetBufferPointer()));
}

// The smallest change of a double: its next representable value (the hash is bit for bit).
void bump(double& x) { x = std::nextafter(x, HUGE_VAL); }
void bump(float& x) { x = std::nextafter(x, HUGE_VALF); }

// The field names of a table or struct of the schema, in order: every "name:" of its block, comments removed.
std::vector<std::string> schema_fields(const std::string& fbs, const std::string& type) {
  const std::regex head("(table|struct)\\s+" + type + "\\s*\\{");
  std::smatch m;
  if (!std::regex_search(fbs, m, head)) return {};
  const std::size_t begin = static_cast<std::size_t>(m.position(0) + m.length(0));
  const std::string body = fbs.substr(begin, fbs.find('}', begin) - begin);
  std::vector<std::string> names;
  const std::regex field("^\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*:");
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find("//"));
    if (std::regex_search(line, m, field)) names.push_back(m[1]);
  }
  return names;
}

struct field_change {
  std::string field;  // "Type.field" as the schema names it
  std::function<void(readout_v&)> change;
};

}  // namespace

// Reference: the schema's field list (cortexloop.fbs: Readout and every table and struct it nests), read from the
// file, against session.hpp's contract "a hash of every field of a readout but the wall-clock ones (tick_start_ns,
// publish_ns), value by value and bit for bit". For every field one change at a time (a double to its next
// representable value, an integer by 1, a bool flipped, an enum to another value, a string edited; vector fields in
// their last element, and by length; a nested table or struct removed) the hash must change; the two wall-clock
// fields must leave it as it is (a replay runs at other wall times). Exact (a 64-bit hash: a collision of one of
// these ~70 changes has odds ~1e-17). Break tried: phase_rad left out of readout_hash -> "SensedSample.phase_rad"
// fails; the channel's charge left out -> "ChannelDelivery.charge" fails; the AlnReadout.out_of_table entry removed
// from the list below -> the schema check for AlnReadout fails.
TEST_CASE("every field of a readout feeds readout_hash, but the wall-clock ones", "[protocol][replay]") {
  const std::vector<field_change> changes = {
      {"Readout.tick", [](readout_v& r) { r.tick += 1; }},
      {"Readout.epoch", [](readout_v& r) { r.epoch += 1; }},
      {"Readout.t_ms", [](readout_v& r) { bump(r.t_ms); }},
      {"Readout.exc", [](readout_v& r) { r.exc.reset(); }},
      {"Readout.inh", [](readout_v& r) { r.inh.reset(); }},
      {"Readout.lfp_proxy_na", [](readout_v& r) { bump(r.lfp_proxy_na); }},
      {"Readout.diverged", [](readout_v& r) { r.diverged += 1; }},
      {"Readout.ring_rates_exc_hz", [](readout_v& r) { bump(r.ring_rates_exc_hz.back()); }},
      {"Readout.ring_rates_exc_hz", [](readout_v& r) { r.ring_rates_exc_hz.push_back(0.0f); }},
      {"Readout.vsdi_percent", [](readout_v& r) { bump(r.vsdi_percent.back()); }},
      {"Readout.vsdi_percent", [](readout_v& r) { r.vsdi_percent.pop_back(); }},
      {"Readout.ring_stim_pa", [](readout_v& r) { bump(r.ring_stim_pa.back()); }},
      {"Readout.ring_stim_pa", [](readout_v& r) { r.ring_stim_pa.push_back(0.0f); }},
      {"Readout.ring_rates_inh_hz", [](readout_v& r) { bump(r.ring_rates_inh_hz.back()); }},
      {"Readout.ring_rates_inh_hz", [](readout_v& r) { r.ring_rates_inh_hz.push_back(0.0f); }},
      {"Readout.device", [](readout_v& r) { r.device.reset(); }},
      {"Readout.aln", [](readout_v& r) { r.aln.reset(); }},
      {"Readout.ring_out_of_table", [](readout_v& r) { r.ring_out_of_table += 1; }},
      // Both populations, so that neither is hashed twice in place of the other.
      {"PopulationReadout.rate_hz", [](readout_v& r) { bump(r.exc->rate_hz); }},
      {"PopulationReadout.rate_hz", [](readout_v& r) { bump(r.inh->rate_hz); }},
      {"PopulationReadout.mean_v_mv", [](readout_v& r) { bump(r.inh->mean_v_mv); }},
      {"PopulationReadout.mean_w_pa", [](readout_v& r) { bump(r.exc->mean_w_pa); }},
      {"PopulationReadout.i_stim_pa", [](readout_v& r) { bump(r.inh->i_stim_pa); }},
      {"PopulationReadout.spikes", [](readout_v& r) { r.exc->spikes += 1; }},
      {"PopulationReadout.spikes", [](readout_v& r) { r.inh->spikes += 1; }},
      {"DeviceReadout.sensing", [](readout_v& r) { r.device->sensing.pop_back(); }},
      {"DeviceReadout.channels", [](readout_v& r) { r.device->channels.pop_back(); }},
      {"DeviceReadout.electrode_mean_ua", [](readout_v& r) { bump(r.device->electrode_mean_ua.back()); }},
      {"DeviceReadout.electrode_mean_ua", [](readout_v& r) { r.device->electrode_mean_ua.pop_back(); }},
      {"DeviceReadout.controllers", [](readout_v& r) { r.device->controllers.pop_back(); }},
      {"DeviceReadout.events", [](readout_v& r) { r.device->events.pop_back(); }},
      {"DeviceReadout.events_total", [](readout_v& r) { r.device->events_total += 1; }},
      {"DeviceReadout.events_dropped", [](readout_v& r) { r.device->events_dropped += 1; }},
      {"DeviceReadout.ring_units_out_of_domain", [](readout_v& r) { r.device->ring_units_out_of_domain += 1; }},
      {"DeviceReadout.ring_max_mu_v_mv", [](readout_v& r) { bump(r.device->ring_max_mu_v_mv); }},
      {"SensedSample.signal", [](readout_v& r) { bump(r.device->sensing.back().signal); }},
      {"SensedSample.raw", [](readout_v& r) { bump(r.device->sensing.back().raw); }},
      {"SensedSample.filtered", [](readout_v& r) { bump(r.device->sensing.back().filtered); }},
      {"SensedSample.rms", [](readout_v& r) { bump(r.device->sensing.back().rms); }},
      {"SensedSample.envelope", [](readout_v& r) { bump(r.device->sensing.back().envelope); }},
      {"SensedSample.phase_rad", [](readout_v& r) { bump(r.device->sensing.back().phase_rad); }},
      {"SensedSample.phase_rad", [](readout_v& r) { bump(r.device->sensing.front().phase_rad); }},
      {"SensedSample.blanked", [](readout_v& r) { r.device->sensing.back().blanked = true; }},
      {"ChannelDelivery.mean_current", [](readout_v& r) { bump(r.device->channels.back().mean_current); }},
      {"ChannelDelivery.peak_current", [](readout_v& r) { bump(r.device->channels.back().peak_current); }},
      {"ChannelDelivery.charge", [](readout_v& r) { bump(r.device->channels.back().charge); }},
      {"ChannelDelivery.charge", [](readout_v& r) { bump(r.device->channels.front().charge); }},
      {"ChannelDelivery.active", [](readout_v& r) { r.device->channels.back().active = false; }},
      {"ChannelDelivery.site_kind",
       [](readout_v& r) { r.device->channels.back().site_kind = proto::SiteKind::RingPosition; }},
      {"ControllerState.kind", [](readout_v& r) { r.device->controllers.back().kind = proto::ControllerKind::PhaseLocked; }},
      {"ControllerState.saturated", [](readout_v& r) { r.device->controllers.back().saturated = true; }},
      {"ControllerState.feature", [](readout_v& r) { bump(r.device->controllers.back().feature); }},
      {"ControllerState.output", [](readout_v& r) { bump(r.device->controllers.back().output); }},
      {"ControllerState.error", [](readout_v& r) { bump(r.device->controllers.back().error); }},
      {"ControllerState.triggers", [](readout_v& r) { r.device->controllers.back().triggers += 1; }},
      {"ControllerState.last_trigger_step", [](readout_v& r) { r.device->controllers.back().last_trigger_step += 1; }},
      {"SafetyEvent.step", [](readout_v& r) { r.device->events.back().step += 1; }},
      {"SafetyEvent.channel", [](readout_v& r) { r.device->events.back().channel += 1; }},
      {"SafetyEvent.electrode", [](readout_v& r) { r.device->events.back().electrode += 1; }},
      {"SafetyEvent.limit", [](readout_v& r) { r.device->events.back().limit = proto::SafetyLimit::Watchdog; }},
      {"SafetyEvent.value", [](readout_v& r) { bump(r.device->events.back().value); }},
      {"SafetyEvent.bound", [](readout_v& r) { bump(r.device->events.back().bound); }},
      {"SafetyEvent.reason", [](readout_v& r) { r.device->events.back().reason = "nfu"; }},
      {"SafetyEvent.reason", [](readout_v& r) { r.device->events.back().reason += "!"; }},
      {"SafetyEvent.epoch", [](readout_v& r) { r.device->events.back().epoch += 1; }},
      {"AlnReadout.rate_e_hz", [](readout_v& r) { bump(r.aln->rate_e_hz); }},
      {"AlnReadout.rate_i_hz", [](readout_v& r) { bump(r.aln->rate_i_hz); }},
      {"AlnReadout.v_mean_e_mv", [](readout_v& r) { bump(r.aln->v_mean_e_mv); }},
      {"AlnReadout.i_a_pa", [](readout_v& r) { bump(r.aln->i_a_pa); }},
      {"AlnReadout.diverged", [](readout_v& r) { r.aln->diverged += 1; }},
      {"AlnReadout.out_of_table", [](readout_v& r) { r.aln->out_of_table += 1; }},
  };
  // Left out of the hash on purpose (session.hpp): wall-clock times, which a replay cannot reproduce, and the server's
  // session id (random per server: a replay server draws its own).
  const std::vector<field_change> wall_clock = {
      {"Readout.tick_start_ns", [](readout_v& r) { r.tick_start_ns += 1; }},
      {"Readout.publish_ns", [](readout_v& r) { r.publish_ns += 1; }},
      {"Readout.session_id", [](readout_v& r) { r.session_id += 1; }},
  };

  const readout_v base;
  const std::uint64_t h0 = hash_of(base);
  REQUIRE(h0 == hash_of(base));  // deterministic
  std::set<std::uint64_t> seen{h0};
  for (const field_change& c : changes) {
    readout_v r = base;
    c.change(r);
    const std::uint64_t h = hash_of(r);
    INFO(c.field << " changed");
    CHECK(h != h0);
    seen.insert(h);
  }
  // And no two changes collide: each field feeds the hash on its own, not merged with another's.
  CHECK(seen.size() == changes.size() + 1);
  for (const field_change& c : wall_clock) {
    readout_v r = base;
    c.change(r);
    INFO(c.field << " changed (wall clock: left out)");
    CHECK(hash_of(r) == h0);
  }

  // The fields above are the schema's, every one of them: a new field of any of these tables or structs is missing
  // from `listed` and fails here until it is added above.
  std::ifstream in(std::string(CORTEXLOOP_SOURCE_DIR) + "/io/protocol/schema/cortexloop.fbs");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string fbs = text.str();
  std::map<std::string, std::set<std::string>> listed;
  for (const auto* list : {&changes, &wall_clock})
    for (const field_change& c : *list) {
      const auto dot = c.field.find('.');
      listed[c.field.substr(0, dot)].insert(c.field.substr(dot + 1));
    }
  const std::vector<std::string> types = {"Readout",         "PopulationReadout", "DeviceReadout", "SensedSample",
                                          "ChannelDelivery", "ControllerState",   "SafetyEvent",   "AlnReadout"};
  CHECK(listed.size() == types.size());
  for (const std::string& type : types) {
    const std::vector<std::string> in_schema = schema_fields(fbs, type);
    CAPTURE(type);
    REQUIRE(in_schema.size() >= 5);  // the parser found the block
    CHECK(listed[type] == std::set<std::string>(in_schema.begin(), in_schema.end()));
  }
}
