#include "io/protocol/codec.hpp"

#include "engine/inputs/drive.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <array>
#include <limits>
#include <vector>

#include "engine/network/steps_network.hpp"
#include "io/protocol/empty_population.hpp"
#include "io/protocol/format_number.hpp"
#include "io/protocol/safe_text.hpp"

namespace cortexloop::io {

namespace {

decoded_command refuse(decoded_command d, error_code code, std::string reason) {
  d.ok = false;
  d.code = code;
  d.reason = std::move(reason);
  return d;
}

// The value in its own type: a float field prints as the float it is (0.0004f as "0.0004"), not widened to double
// ("0.0003999999898951501"), which a client could not recognise as what it sent.
template <class T>
std::string out_of_range(std::string_view field, T value, std::string_view allowed) {
  return field_reason(field, value, allowed);
}

// Every float of a SetStimulation must be finite, including those its waveform or site does not use: a NaN
// there is a client bug worth reporting, and a later change of waveform must not find one.
bool refuse_non_finite(const proto::SetStimulation& s, decoded_command& d) {
  const std::pair<const char*, float> fields[] = {
      {"amplitude_pa", s.amplitude_pa()}, {"frequency_hz", s.frequency_hz()}, {"pulse_width_ms", s.pulse_width_ms()},
      {"delay_ms", s.delay_ms()},         {"duration_ms", s.duration_ms()},
      {"site.position_mm", s.site() ? s.site()->position_mm() : 0.0f},
      {"site.width_mm", s.site() ? s.site()->width_mm() : 1.0f}};
  for (const auto& [field, value] : fields)
    if (!std::isfinite(value)) {
      d = refuse(std::move(d), error_code::out_of_range, field_reason(field, value, "must be finite"));
      return true;
    }
  return false;
}

std::string drive_rate_range(const decode_limits& limits) {
  return "must be in [0, " + format_number(limits.max_drive_rate_Hz).str() +
         "] Hz (this config's maximum: " + limits.max_drive_rate_why + ")";
}

// Why `rate_Hz` cannot be the drive's rate ("" when it can): no drive in this model, outside [0, max], or drawn more
// than 1 % off.
std::string drive_rate_problem(double rate_Hz, const decode_limits& limits) {
  if (!limits.no_drive_why.empty())
    return "this server's model has no drive a rate could change (" + limits.no_drive_why + "); nothing was applied";
  if (!(rate_Hz >= 0 && rate_Hz <= limits.max_drive_rate_Hz)) return drive_rate_range(limits);
  if (limits.drive_k_exc <= 0) return {};
  return engine::drive_resolution_problem(rate_Hz, limits.drive_k_exc, limits.dt_ms);
}

bool fail(decoded_command& d, std::string reason) {
  d = refuse(std::move(d), error_code::out_of_range, std::move(reason));
  return false;
}

bool start_tick_in_range(std::int64_t start_tick, decoded_command& d) {
  if (start_tick >= -1 && start_tick <= kMaxStartTick) return true;
  return fail(d, "start_tick = " + std::to_string(start_tick) + ": must be -1 (next tick) or in [0, " +
                     std::to_string(kMaxStartTick) + "]");
}

// A float field as the number its sender wrote: the shortest decimal that reads back as this float, as a double
// (1000.0001f is 1000.0001220703125 in binary; the device compares and reports the double 1000.0001).
double decimal_of(float x) {
  const io::number_text text = io::format_number(x);
  double value = x;
  std::from_chars(text.view().data(), text.view().data() + text.view().size(), value);
  return value;
}

// A Site table (absent: population Exc) into the device's site; the layout decides what exists.
bool decode_site(const proto::Site* in, firmware_sim::site& out, decoded_command& d) {
  out = {};
  if (!in) return true;
  const auto kind = static_cast<int>(in->kind()), pop = static_cast<int>(in->population());
  if (kind < 0 || kind > 2)
    return fail(d, out_of_range("site.kind", kind, "must be Population (0), RingPosition (1) or Electrode (2)"));
  if (pop < 0 || pop > 1) return fail(d, out_of_range("site.population", pop, "must be Exc (0) or Inh (1)"));
  // Refused even where the kind does not use them: a NaN there is a client bug worth reporting.
  if (!std::isfinite(in->position_mm())) return fail(d, out_of_range("site.position_mm", in->position_mm(), "must be finite"));
  if (!std::isfinite(in->width_mm()) || in->width_mm() <= 0.0f)  // > 0 as documented, whatever the kind
    return fail(d, out_of_range("site.width_mm", in->width_mm(), "must be finite and > 0"));
  out.kind = static_cast<firmware_sim::site_kind>(kind);
  out.population = pop == 0 ? engine::population::exc : engine::population::inh;
  // As decimals, so that the device's range checks quote what the client sent (width_mm 1e30 was quoted as
  // 1.0000000150474662e+30: an outside audit, 2026-12-06).
  out.position_mm = decimal_of(in->position_mm());
  out.width_mm = decimal_of(in->width_mm());
  out.electrode = in->electrode();
  return true;
}

bool decode_program(const proto::Program* in, firmware_sim::program& p, decoded_command& d) {
  p = {};
  if (!in) return fail(d, "program: missing (every ChannelProgram needs one)");
  const auto shape = static_cast<int>(in->waveform());
  if (shape < 0 || shape > 4)
    return fail(d, out_of_range("program.waveform", shape,
                                      "must be Dc (0), Sine (1), PulseTrain (2), Arbitrary (3) or Noise (4)"));
  p.shape = static_cast<firmware_sim::waveform>(shape);
  p.amplitude = in->amplitude();
  p.offset = in->offset();
  p.frequency_Hz = in->frequency_hz();
  p.phase_deg = in->phase_deg();
  p.ramp_up_us = in->ramp_up_us();
  p.ramp_down_us = in->ramp_down_us();
  p.phase_width_us = in->phase_width_us();
  p.interphase_gap_us = in->interphase_gap_us();
  p.biphasic = !in->monophasic();
  p.cathodic_first = !in->anodic_first();
  p.pulses_per_burst = in->pulses_per_burst();
  p.burst_period_us = in->burst_period_us();
  p.n_bursts = in->n_bursts();
  p.delay_us = in->delay_us();
  p.duration_us = in->duration_us();
  // The Program table has anodic_first for a pulse train's polarity: a negative amplitude reversed it without a word (an
  // outside audit), so it is refused naming both. (SetStimulation has no polarity field: there a negative amplitude_pa
  // is how a train starts negative, docs/protocol.md.)
  if (p.shape == firmware_sim::waveform::pulse_train && p.amplitude < 0)
    return fail(d, out_of_range("program.amplitude", p.amplitude,
                                "a PulseTrain's amplitude is the magnitude of its phases and must be >= 0; anodic_first "
                                "sets which phase comes first"));
  // Samples on another waveform would be ignored, yet republished on topic "applied" with the command: 8 sine
  // programs carrying 1024 samples each are 34 kB a command, cheap to check, so a flood of them made the
  // recorders' stream what padded commands had made it (refused above). A client bug either way.
  if (p.shape != firmware_sim::waveform::arbitrary && in->samples() && in->samples()->size() > 0)
    return fail(d, out_of_range("program.samples (count)", static_cast<double>(in->samples()->size()),
                                "only an Arbitrary waveform (3) takes samples; this program's waveform is " +
                                    std::to_string(shape)));
  if (p.shape == firmware_sim::waveform::arbitrary) {
    const auto* samples = in->samples();
    const std::size_t n = samples ? samples->size() : 0;
    if (n < 1 || n > firmware_sim::kMaxWaveformSamples)
      return fail(d, out_of_range("program.samples (count)", static_cast<double>(n), "must be 1 .. 1024 samples"));
    p.wave.n_samples = static_cast<std::uint32_t>(n);
    for (std::size_t i = 0; i < n; ++i) p.wave.samples[i] = samples->Get(static_cast<flatbuffers::uoffset_t>(i));
    p.wave.sample_period_us = in->sample_period_us();
    p.wave.repeat = in->repeat();
  }
  if (p.shape == firmware_sim::waveform::noise) {
    p.wave.sample_period_us = in->sample_period_us();
    p.noise_seed = in->noise_seed();
  }
  return true;
}

// A Population site of a population nothing receives (decode_limits::empty_population_why).
bool population_reached(const firmware_sim::site& site, const decode_limits& limits, decoded_command& d) {
  if (site.kind != firmware_sim::site_kind::population) return true;
  const bool exc = site.population == engine::population::exc;
  const std::string& why = limits.empty_population_why[exc ? 0 : 1];
  if (why.empty()) return true;
  return fail(d, std::string("site.population = ") + (exc ? "Exc" : "Inh") + ": " + why +
                     "; no cell would receive the current");
}

bool validate_load(const firmware_sim::site& site, const firmware_sim::program& p, const decode_limits& limits,
                   decoded_command& d) {
  if (!population_reached(site, limits, d)) return false;
  firmware_sim::reason_text reason;
  if (const std::string_view why = firmware_sim::validate(site, p, limits.layout, reason); !why.empty())
    return fail(d, std::string(why));
  return true;
}

// A ring_position site's per-unit weights, computed here on the I/O thread and carried by the record: the real-time
// thread uses them as given and never computes them (see command::ring_profile). Nothing for other sites.
bool attach_ring_profile(const firmware_sim::site& site, const decode_limits& limits, command& c, decoded_command& d) {
  c.n_ring_profile = 0;
  if (site.kind != firmware_sim::site_kind::ring_position) return true;
  const std::size_t n = limits.layout.ring.n_units;
  if (n > kMaxRingUnits)
    return fail(d, "site.kind = RingPosition: this ring has " + std::to_string(n) + " units; ring sites need at most " +
                       std::to_string(kMaxRingUnits));
  firmware_sim::ring_site_profile(site, limits.layout.ring, {c.ring_profile.data(), n});
  c.n_ring_profile = static_cast<std::uint32_t>(n);
  return true;
}

// The first form of stimulation command (direct sites, float milliseconds): kept for old clients. Times are
// converted to whole microseconds by rounding (a float 0.3 ms is 300 us exactly), so both phases of a
// biphasic pulse are always the same length.
bool decode_stimulation(const proto::SetStimulation& s, const decode_limits& limits, decoded_command& d) {
  command& c = d.cmd;
  c.kind = command_kind::set_stimulation;
  if (refuse_non_finite(s, d)) return false;
  if (s.channel() >= firmware_sim::stimulator::kChannels)
    return fail(d, out_of_range("channel", s.channel(), "must be in [0, 7]"));
  c.channel = s.channel();
  if (!decode_site(s.site(), c.site, d)) return false;
  if (c.site.kind == firmware_sim::site_kind::electrode)
    return fail(d, "site.kind = Electrode: SetStimulation drives direct sites only (amplitude in pA); use SetPrograms");
  const auto shape = static_cast<int>(s.waveform());
  if (shape < 0 || shape > 2)
    return fail(d, out_of_range("waveform", shape, "must be Dc (0), Sine (1) or PulseTrain (2)"));
  // -1 (refused below) beyond an hour's worth: llround of a value past int64 is undefined (delay_ms = 1e30 came out
  // as program.delay_us = -9223372036854775808, a number the client never sent).
  const auto to_us = [](float ms) {
    return std::isfinite(ms) && std::fabs(ms) <= 1e7f ? std::llround(static_cast<double>(ms) * 1000.0) : -1LL;
  };
  // Named in the command's own fields and units (ms), before the program's (us) checks see them.
  if (!(s.delay_ms() >= 0.0f && s.delay_ms() <= 3.6e6f))
    return fail(d, out_of_range("delay_ms", s.delay_ms(), "must be in [0, 3.6e6] ms"));
  if (!(s.duration_ms() >= 0.0f && s.duration_ms() <= 3.6e6f))
    return fail(d, out_of_range("duration_ms", s.duration_ms(), "must be 0 (no end) or in [0.001, 3.6e6] ms"));
  firmware_sim::program& p = c.program;
  p = {};
  p.shape = static_cast<firmware_sim::waveform>(shape);
  p.amplitude = decimal_of(s.amplitude_pa());
  p.frequency_Hz = decimal_of(s.frequency_hz());
  if (p.shape == firmware_sim::waveform::pulse_train) {
    const long long width_us = to_us(s.pulse_width_ms());
    // Below 0.001 ms refused before rounding, as documented (0.0005 rounded up to 1 us was accepted).
    if (width_us < 1 || width_us > 1'000'000 || s.pulse_width_ms() < 0.001f)
      return fail(d, out_of_range("pulse_width_ms", s.pulse_width_ms(), "must be in [0.001, 1000] ms"));
    p.phase_width_us = static_cast<std::uint32_t>(width_us);
    p.biphasic = s.biphasic();
    p.cathodic_first = false;  // this command's pulses start positive
  }
  p.delay_us = to_us(s.delay_ms());
  p.duration_us = to_us(s.duration_ms());
  // 0 means "no end": a positive duration that rounds to 0 us would silently become one. Below 0.001 ms is refused
  // before rounding too, as documented ([0.001, 3.6e6]; 0.0005 rounded up to 1 us was accepted: an outside check).
  if (s.duration_ms() > 0 && (p.duration_us == 0 || s.duration_ms() < 0.001f))
    return fail(d, out_of_range("duration_ms", s.duration_ms(), "must be 0 (no end) or in [0.001, 3.6e6] ms"));
  if (!validate_load(c.site, p, limits, d)) {
    // The device's limit on a direct site's current is the amplitude's: named by this message's field.
    if (d.reason.starts_with("direct current"))
      d.reason = "amplitude_pa = " + io::format_number(p.amplitude).str() + ": " + d.reason;
    return false;
  }
  return attach_ring_profile(c.site, limits, c, d);
}

// SetPrograms: one record per program, in one group (applied in the same tick).
bool decode_programs(const proto::SetPrograms& s, const decode_limits& limits, decoded_command& d) {
  const auto* programs = s.programs();
  const std::size_t n = programs ? programs->size() : 0;
  if (n < 1 || n > firmware_sim::stimulator::kChannels)
    return fail(d, out_of_range("programs (count)", static_cast<double>(n), "must be 1 .. 8"));
  if (!start_tick_in_range(s.start_tick(), d)) return false;
  unsigned used = 0;
  d.group.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const proto::ChannelProgram* cp = programs->Get(static_cast<flatbuffers::uoffset_t>(i));
    command c = d.cmd;
    c.kind = command_kind::set_stimulation;
    if (cp->channel() >= firmware_sim::stimulator::kChannels)
      return fail(d, out_of_range("programs[" + std::to_string(i) + "].channel", cp->channel(), "must be in [0, 7]"));
    if (used & (1u << cp->channel()))
      return fail(d, "programs[" + std::to_string(i) + "].channel = " + std::to_string(cp->channel()) +
                         ": appears twice in one SetPrograms");
    used |= 1u << cp->channel();
    c.channel = cp->channel();
    if (!decode_site(cp->site(), c.site, d) || !decode_program(cp->program(), c.program, d)) {
      d.reason = "programs[" + std::to_string(i) + "]: " + d.reason;
      return false;
    }
    if (!validate_load(c.site, c.program, limits, d) || !attach_ring_profile(c.site, limits, c, d)) {
      d.reason = "programs[" + std::to_string(i) + "]: " + d.reason;
      return false;
    }
    c.start_tick = s.start_tick();
    c.group_size = static_cast<std::uint8_t>(n);
    c.group_index = static_cast<std::uint8_t>(i);
    d.group.push_back(c);
  }
  d.cmd = d.group.front();
  return true;
}

// ClearStimulation and ClearController: one index (channel or slot) or all. The index is checked with all = true
// too: a client sending 200 has a bug either way.
bool decode_clear(command_kind kind, const char* field, std::uint8_t index, bool all, std::size_t count,
                  decoded_command& d) {
  d.cmd.kind = kind;
  d.cmd.all_channels = all;
  d.cmd.channel = index;
  if (index < count) return true;
  return fail(d, out_of_range(field, index, "must be in [0, " + std::to_string(count - 1) + "] (with all = true too)"));
}

bool decode_controller(const proto::SetController& s, const decode_limits& limits, decoded_command& d) {
  command& c = d.cmd;
  c.kind = command_kind::set_controller;
  if (s.slot() >= firmware_sim::kMaxControllers) return fail(d, out_of_range("slot", s.slot(), "must be in [0, 3]"));
  c.channel = s.slot();
  if (!start_tick_in_range(s.start_tick(), d)) return false;
  c.start_tick = s.start_tick();
  firmware_sim::controller_params& k = c.controller;
  k = {};
  const auto kind = static_cast<int>(s.kind());
  if (kind < 1 || kind > 5)
    return fail(d, out_of_range("kind", kind, "must be OpenLoop (1), Responsive (2), PiClamp (3), PhaseLocked (4) or External (5)"));
  k.kind = static_cast<firmware_sim::controller_kind>(kind);
  k.sensing_channel = s.sensing_channel();
  const proto::ChannelProgram* out = s.output();
  if (!out) return fail(d, "output: missing (the channel, site and program the controller drives)");
  k.output_channel = out->channel();
  if (!decode_site(out->site(), k.output_site, d) || !decode_program(out->program(), k.output_program, d)) {
    d.reason = "output: " + d.reason;
    return false;
  }
  const auto feature = static_cast<int>(s.feature());
  if (feature < 0 || feature > 3)
    return fail(d, out_of_range("feature", feature, "must be Raw (0), Filtered (1), Rms (2) or Envelope (3)"));
  k.feature = static_cast<firmware_sim::feature_kind>(feature);
  k.threshold = s.threshold();
  k.rising = s.rising();
  k.refractory_us = s.refractory_us();
  k.target = s.target();
  k.kp = s.kp();
  k.ki_per_s = s.ki_per_s();
  k.output_min = s.output_min();
  k.output_max = s.output_max();
  k.invert = s.invert();
  k.target_phase_deg = s.target_phase_deg();
  k.min_interval_us = s.min_interval_us();
  k.loop_delay_us = s.loop_delay_us();
  k.timeout_us = s.timeout_us();
  k.ramp_down_us = s.ramp_down_us();
  k.period_us = s.period_us();
  if (const auto* schedule = s.schedule()) {
    if (schedule->size() > firmware_sim::kMaxSchedule)
      return fail(d, out_of_range("schedule (count)", schedule->size(), "must be at most 16 entries"));
    k.n_schedule = schedule->size();
    // Copied out byte-wise: FlatBuffers 2.0's verifier checks a vector of structs for 4-byte (length) alignment
    // only, so a crafted message can place these 8-byte structs off 8 bytes, and reading them in place was a
    // misaligned access (UBSan; found by fuzz/fuzz_command, fuzz/regressions/command/command-misaligned-*).
    const auto* raw = reinterpret_cast<const std::uint8_t*>(schedule->Data());
    for (flatbuffers::uoffset_t i = 0; i < schedule->size(); ++i) {
      proto::ScheduleEntry e;
      std::memcpy(&e, raw + std::size_t{i} * sizeof(proto::ScheduleEntry), sizeof(proto::ScheduleEntry));
      k.schedule[i] = {e.start_us(), e.amplitude()};
    }
  }
  // An External controller drives nothing (it watches its channel); the others load their output site.
  if (k.kind != firmware_sim::controller_kind::external && !population_reached(k.output_site, limits, d)) {
    d.reason = "output: " + d.reason;
    return false;
  }
  firmware_sim::reason_text reason;
  if (const std::string_view why = firmware_sim::validate(k, limits.layout, limits.sensing, reason); !why.empty())
    return fail(d, std::string(why));
  if (!attach_ring_profile(k.output_site, limits, c, d)) {
    d.reason = "output: " + d.reason;
    return false;
  }
  return true;
}

bool decode_parameter(const proto::SetParameter& s, const decode_limits& limits, decoded_command& d) {
  command& c = d.cmd;
  c.kind = command_kind::set_parameter;
  const std::string_view name = s.name() ? s.name()->string_view() : std::string_view{};
  if (!parse_parameter(name, c.parameter)) {
    // The name is the client's: echo a bounded, valid UTF-8 form of it without control characters (it goes to
    // every subscriber too).
    d = refuse(std::move(d), error_code::unknown_parameter,
               "parameter '" + sanitize_utf8(name, kMaxEchoedName_bytes, control_chars::escape) +
                   "' is not settable; the whitelist is network.drive.rate_Hz, stream.spikes, stream.readout_every");
    return false;
  }
  const double v = s.value();
  c.value = v;
  std::string allowed;
  switch (c.parameter) {
    case parameter_id::drive_rate_Hz:
      allowed = drive_rate_problem(v, limits);
      break;
    case parameter_id::stream_spikes:
      if (v != 0 && v != 1) allowed = "must be 0 or 1";
      break;
    case parameter_id::stream_readout_every:
      if (!(v >= 1 && v <= kMaxReadoutEvery && v == std::floor(v))) allowed = "must be a whole number in [1, 1000]";
      break;
  }
  if (!allowed.empty()) {
    d = refuse(std::move(d), error_code::out_of_range, out_of_range(to_string(c.parameter), v, allowed));
    return false;
  }
  return true;
}

}  // namespace

void set_drive_limits(decode_limits& limits, const engine::engine_params& p) {
  limits.max_drive_rate_Hz = kProtocolMaxDriveRate_Hz;
  limits.max_drive_rate_why = "the protocol's bound";
  limits.drive_k_exc = 0;
  limits.dt_ms = p.simulation.dt_ms;  // the step the drive's resolution is judged at (drive_rate_problem)
  limits.no_drive_why.clear();
  if (const char* why = engine::no_drive_reason(p)) {
    limits.no_drive_why = why;
    limits.max_drive_rate_Hz = 0;  // Info.max_drive_rate_hz: no rate is accepted
    limits.max_drive_rate_why = why;
    return;
  }
  // Without cells (a ring alone, an [aln] node alone) there is no Bernoulli source to saturate.
  if (!engine::steps_network(p) || p.network.drive.k_exc <= 0) return;
  limits.drive_k_exc = p.network.drive.k_exc;
  const double saturation_Hz = 1000.0 / (p.simulation.dt_ms * p.network.drive.k_exc);
  if (saturation_Hz >= kProtocolMaxDriveRate_Hz) return;
  limits.max_drive_rate_Hz = saturation_Hz;
  limits.max_drive_rate_why = "the network's Bernoulli drive fires at most once per step, dt * K_e * rate <= 1 with dt = " +
                              format_number(p.simulation.dt_ms).str() + " ms, K_e = " +
                              format_number(p.network.drive.k_exc).str();
}

void set_population_limits(decode_limits& limits, const engine::engine_params& p) {
  for (const engine::population pop : {engine::population::exc, engine::population::inh}) {
    std::string& why = limits.empty_population_why[pop == engine::population::exc ? 0 : 1];
    why.clear();
    // The [aln] node receives both populations' currents; a Population site also drives every unit of a ring.
    if (p.aln || p.ring) continue;
    why = empty_population_reason(p, pop);
  }
}

namespace {
constexpr int kVerifyMaxDepth = 16;
// Bytes a command may carry past what its tables reach (decode_command): room for a few fields of a newer schema.
constexpr std::size_t kMaxUnreachedBytes = 256;
constexpr int kVerifyMaxTables = 4096;

// Why verify_message refused `bytes`, as precisely as can be told, so that a client can fix its encoder. One reason
// for all three ("wrong file identifier, truncated or corrupt") sent a client whose flatc Finish(root) had omitted
// the identifier (Python's default) looking for truncation, and a valid command of 6000 tables looking for both.
std::string not_a_message_reason(std::span<const std::uint8_t> bytes) {
  const std::string what = "not a cortexloop Message (" + std::to_string(bytes.size()) + " bytes): ";
  if (bytes.size() < 8) return what + "shorter than a FlatBuffer's root offset and file identifier (8 bytes)";
  if (!proto::MessageBufferHasIdentifier(bytes.data())) {
    std::string id;
    for (std::size_t i = 4; i < 8; ++i) {
      const auto c = static_cast<unsigned char>(bytes[i]);
      if (c >= 0x20 && c < 0x7f) id += static_cast<char>(c);
      else id += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
    }
    return what + "file identifier (bytes 4-7) \"" + id + "\", expected \"" + proto::MessageIdentifier() +
           "\" (finish the buffer with it)";
  }
  return what + "the FlatBuffer does not verify: truncated or corrupt, or beyond the verifier's limits (" +
         std::to_string(kVerifyMaxDepth) + " levels of nesting, " + std::to_string(kVerifyMaxTables) + " tables)";
}
}  // namespace

const proto::Message* verify_message(std::span<const std::uint8_t> bytes, std::size_t* end_bytes) {
  if (bytes.size() < 8 || bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) return nullptr;
  if (!proto::MessageBufferHasIdentifier(bytes.data())) return nullptr;
  flatbuffers::Verifier::Options options;
  options.max_depth = kVerifyMaxDepth;
  options.max_tables = kVerifyMaxTables;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), options);
  if (!proto::VerifyMessageBuffer(verifier)) return nullptr;
  if (end_bytes) *end_bytes = verifier.GetComputedSize();
  return proto::GetMessage(bytes.data());
}

decoded_command decode_command(std::span<const std::uint8_t> bytes, const decode_limits& limits) {
  decoded_command d;
  std::size_t end_bytes = 0;
  const proto::Message* message = verify_message(bytes, &end_bytes);
  if (!message) return refuse(std::move(d), error_code::malformed, not_a_message_reason(bytes));
  const proto::Command* cmd = message->payload_as_Command();
  if (!cmd) {
    // The Command type without its table was refused as "expected a Command payload, got payload type 4", the
    // number of Command itself (an outside check, 2026-12-05).
    if (message->payload_type() == proto::Payload::Command)
      return refuse(std::move(d), error_code::unknown_command, "Message with payload type Command has no Command table");
    return refuse(std::move(d), error_code::unknown_command,
                  "expected a Command payload, got payload type " +
                      std::to_string(static_cast<int>(message->payload_type())));
  }
  d.seq = cmd->seq();
  d.client_send_ns = cmd->client_send_ns();
  d.cmd.seq = d.seq;
  d.cmd.client_send_ns = d.client_send_ns;
  command& c = d.cmd;
  // A known body type without its table (every body is a table, even the empty ones) is refused like a
  // command without body: nothing below may dereference an absent body.
  if (cmd->body_type() != proto::CommandBody::NONE && !cmd->body() &&
      static_cast<int>(cmd->body_type()) <= static_cast<int>(proto::CommandBody::MAX))
    return refuse(std::move(d), error_code::unknown_command,
                  "Command with body type " + std::string(proto::EnumNameCommandBody(cmd->body_type())) +
                      " has no body table");
  switch (cmd->body_type()) {
    case proto::CommandBody::SetStimulation:
      if (!decode_stimulation(*cmd->body_as_SetStimulation(), limits, d)) return d;
      break;
    case proto::CommandBody::ClearStimulation: {
      const auto* s = cmd->body_as_ClearStimulation();
      if (!decode_clear(command_kind::clear_stimulation, "channel", s->channel(), s->all(),
                        firmware_sim::stimulator::kChannels, d))
        return d;
      break;
    }
    case proto::CommandBody::SetDriveRate: {
      c.kind = command_kind::set_drive_rate;
      c.value = cmd->body_as_SetDriveRate()->rate_hz();
      if (const std::string why = drive_rate_problem(c.value, limits); !why.empty())
        return refuse(std::move(d), error_code::out_of_range, out_of_range("rate_hz", c.value, why));
      break;
    }
    case proto::CommandBody::Pause:
      c.kind = command_kind::pause;
      break;
    case proto::CommandBody::Resume:
      c.kind = command_kind::resume;
      break;
    case proto::CommandBody::Reset: {
      c.kind = command_kind::reset;
      c.seed = cmd->body_as_Reset()->seed();
      if (c.seed > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return refuse(std::move(d), error_code::out_of_range,
                      "seed = " + std::to_string(c.seed) + ": must be in [0, 2^63 - 1] (as simulation.seed)");
      break;
    }
    case proto::CommandBody::Step: {
      c.kind = command_kind::step;
      c.ticks = cmd->body_as_Step()->ticks();
      if (limits.mode != run_mode::stepped)
        return refuse(std::move(d), error_code::wrong_mode,
                      "Step needs the server in stepped mode; it runs in " + std::string(to_string(limits.mode)) + " mode");
      static_assert(kMaxStepTicks == 10'000'000, "update the message below");
      if (c.ticks > kMaxStepTicks)
        return refuse(std::move(d), error_code::out_of_range,
                      out_of_range("ticks", c.ticks, "must be in [0, 10000000] (0 cancels the remaining budget)"));
      break;
    }
    case proto::CommandBody::SetParameter:
      if (!decode_parameter(*cmd->body_as_SetParameter(), limits, d)) return d;
      break;
    case proto::CommandBody::Ping:
      c.kind = command_kind::ping;
      break;
    case proto::CommandBody::SetPrograms:
      if (!decode_programs(*cmd->body_as_SetPrograms(), limits, d)) return d;
      break;
    case proto::CommandBody::SetController:
      if (!decode_controller(*cmd->body_as_SetController(), limits, d)) return d;
      break;
    case proto::CommandBody::ClearController: {
      const auto* s = cmd->body_as_ClearController();
      if (!decode_clear(command_kind::clear_controller, "slot", s->slot(), s->all(), firmware_sim::kMaxControllers, d))
        return d;
      break;
    }
    case proto::CommandBody::GetInfo:
      c.kind = command_kind::get_info;
      break;
    case proto::CommandBody::NONE:
      return refuse(std::move(d), error_code::unknown_command, "Command has no body");
    default:
      return refuse(std::move(d), error_code::unknown_command,
                    "unknown command body type " + std::to_string(static_cast<int>(cmd->body_type())) +
                        " (this server knows 1 .. " + std::to_string(static_cast<int>(proto::CommandBody::MAX)) + ")");
  }
  // Bytes after what the command's tables, vectors and strings reach: topic "applied" republishes a command as sent,
  // and a 40-byte Ping padded to 40 KiB, 8000 a second, made a recorder write 330 MB/s and lose readouts (an
  // outside check, 2026-12-05). Checked last, once the payload and body are known (an unknown type is
  // UnknownCommand, whatever its size). The verifier reaches only the fields this schema knows: a newer client's
  // field (a scalar at a table's end, a string) lies past that end, so kMaxUnreachedBytes of them are accepted
  // and ignored, as FlatBuffers ignores unknown fields (docs/protocol.md, "Compatibility"); a builder's own padding
  // (at most 7 bytes) is among them.
  if (bytes.size() > end_bytes + kMaxUnreachedBytes)
    return refuse(std::move(d), error_code::malformed,
                  "not a cortexloop Message (" + std::to_string(bytes.size()) + " bytes): " +
                      std::to_string(bytes.size() - end_bytes) + " bytes follow what its tables reach (byte " +
                      std::to_string(end_bytes) + "), more than the " + std::to_string(kMaxUnreachedBytes) +
                      " allowed for fields this server does not know: send the builder's buffer alone");
  d.ok = true;
  return d;
}

std::string_view to_string(error_code code) noexcept {
  switch (code) {
    case error_code::ok: return "Ok";
    case error_code::malformed: return "Malformed";
    case error_code::unknown_command: return "UnknownCommand";
    case error_code::out_of_range: return "OutOfRange";
    case error_code::wrong_mode: return "WrongMode";
    case error_code::queue_full: return "QueueFull";
    case error_code::unknown_parameter: return "UnknownParameter";
    case error_code::busy: return "Busy";
    case error_code::shutting_down: return "ShuttingDown";
  }
  return "?";
}

std::string_view to_string(command_kind kind) noexcept {
  switch (kind) {
    case command_kind::set_stimulation: return "SetStimulation";
    case command_kind::clear_stimulation: return "ClearStimulation";
    case command_kind::set_drive_rate: return "SetDriveRate";
    case command_kind::pause: return "Pause";
    case command_kind::resume: return "Resume";
    case command_kind::reset: return "Reset";
    case command_kind::step: return "Step";
    case command_kind::set_parameter: return "SetParameter";
    case command_kind::ping: return "Ping";
    case command_kind::set_controller: return "SetController";
    case command_kind::clear_controller: return "ClearController";
    case command_kind::get_info: return "GetInfo";
  }
  return "?";
}

std::string_view to_string(run_mode mode) noexcept {
  switch (mode) {
    case run_mode::realtime: return "realtime";
    case run_mode::fast: return "fast";
    case run_mode::stepped: return "stepped";
  }
  return "?";
}

bool parse_parameter(std::string_view name, parameter_id& out) noexcept {
  if (name == "network.drive.rate_Hz") out = parameter_id::drive_rate_Hz;
  else if (name == "stream.spikes") out = parameter_id::stream_spikes;
  else if (name == "stream.readout_every") out = parameter_id::stream_readout_every;
  else return false;
  return true;
}

std::string_view to_string(parameter_id p) noexcept {
  switch (p) {
    case parameter_id::drive_rate_Hz: return "network.drive.rate_Hz";
    case parameter_id::stream_spikes: return "stream.spikes";
    case parameter_id::stream_readout_every: return "stream.readout_every";
  }
  return "?";
}

namespace {
void finish(flatbuffers::FlatBufferBuilder& b, proto::Payload type, flatbuffers::Offset<void> payload) {
  b.Finish(proto::CreateMessage(b, type, payload), proto::MessageIdentifier());
}
proto::PopulationReadout to_wire(const engine::population_readout& p) {
  return {p.rate_Hz, p.mean_v_mV, p.mean_w_pA, p.i_stim_pA, p.spikes};
}

flatbuffers::Offset<proto::ChannelProgram> encode_channel_program(flatbuffers::FlatBufferBuilder& b, std::uint8_t channel,
                                                                  const firmware_sim::site& s,
                                                                  const firmware_sim::program& p) {
  const auto site = proto::CreateSite(b, static_cast<proto::SiteKind>(s.kind),
                                      s.population == engine::population::exc ? proto::Population::Exc
                                                                              : proto::Population::Inh,
                                      static_cast<float>(s.position_mm), static_cast<float>(s.width_mm), s.electrode);
  flatbuffers::Offset<flatbuffers::Vector<float>> samples;
  if (p.shape == firmware_sim::waveform::arbitrary) samples = b.CreateVector(p.wave.samples.data(), p.wave.n_samples);
  proto::ProgramBuilder pb(b);
  pb.add_waveform(static_cast<proto::Waveform>(p.shape));
  pb.add_amplitude(p.amplitude);
  pb.add_offset(p.offset);
  pb.add_frequency_hz(p.frequency_Hz);
  pb.add_phase_deg(p.phase_deg);
  pb.add_ramp_up_us(p.ramp_up_us);
  pb.add_ramp_down_us(p.ramp_down_us);
  pb.add_phase_width_us(p.phase_width_us);
  pb.add_interphase_gap_us(p.interphase_gap_us);
  pb.add_monophasic(!p.biphasic);
  pb.add_anodic_first(!p.cathodic_first);
  pb.add_pulses_per_burst(p.pulses_per_burst);
  pb.add_burst_period_us(p.burst_period_us);
  pb.add_n_bursts(p.n_bursts);
  pb.add_delay_us(p.delay_us);
  pb.add_duration_us(p.duration_us);
  if (p.shape == firmware_sim::waveform::arbitrary) {
    pb.add_samples(samples);
    pb.add_repeat(p.wave.repeat);
  }
  if (p.shape == firmware_sim::waveform::arbitrary || p.shape == firmware_sim::waveform::noise)
    pb.add_sample_period_us(p.wave.sample_period_us);
  if (p.shape == firmware_sim::waveform::noise) pb.add_noise_seed(p.noise_seed);
  const auto program = pb.Finish();
  return proto::CreateChannelProgram(b, channel, site, program);
}

flatbuffers::Offset<proto::SafetyEvent> encode_safety_event(flatbuffers::FlatBufferBuilder& b,
                                                            const firmware_sim::safety_event& e, std::uint32_t epoch) {
  firmware_sim::reason_text text;
  const std::string_view reason = firmware_sim::format_reason(e.verdict, text);
  return proto::CreateSafetyEvent(b, e.step, e.channel, e.electrode, static_cast<proto::SafetyLimit>(e.verdict.limit),
                                  e.verdict.value, e.verdict.bound, b.CreateString(reason), epoch);
}

flatbuffers::Offset<proto::DeviceReadout> encode_device(flatbuffers::FlatBufferBuilder& b,
                                                        const firmware_sim::device_readout& d, std::uint32_t epoch) {
  std::array<proto::SensedSample, firmware_sim::kMaxSensing> sensed;
  for (std::uint32_t i = 0; i < d.n_sensing; ++i) {
    const auto& s = d.sensing[i];
    sensed[i] = proto::SensedSample(s.signal, s.raw, s.filtered, s.rms, s.envelope, s.phase_rad, s.blanked);
  }
  std::array<proto::ChannelDelivery, firmware_sim::stimulator::kChannels> channels;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const auto& c = d.channels[i];
    channels[i] = proto::ChannelDelivery(c.mean_current, c.peak_current, c.charge, c.active,
                                         static_cast<proto::SiteKind>(c.site_kind));
  }
  std::array<proto::ControllerState, firmware_sim::kMaxControllers> controllers;
  for (std::size_t i = 0; i < controllers.size(); ++i) {
    const auto& c = d.controllers[i];
    controllers[i] = proto::ControllerState(static_cast<proto::ControllerKind>(c.kind), c.saturated, c.feature, c.output,
                                            c.error, c.triggers, c.last_trigger_step);
  }
  std::vector<flatbuffers::Offset<proto::SafetyEvent>> events;
  for (std::uint32_t i = 0; i < d.n_events; ++i) events.push_back(encode_safety_event(b, d.events[i], epoch));
  const auto sensing_v = b.CreateVectorOfStructs(sensed.data(), d.n_sensing);
  const auto channels_v = b.CreateVectorOfStructs(channels.data(), channels.size());
  const auto electrodes_v = b.CreateVector(d.electrode_mean_uA.data(), d.n_electrodes);
  const auto controllers_v = b.CreateVectorOfStructs(controllers.data(), controllers.size());
  const auto events_v = b.CreateVector(events);
  return proto::CreateDeviceReadout(b, sensing_v, channels_v, electrodes_v, controllers_v, events_v, d.events_total,
                                    d.events_dropped, d.ring_units_out_of_domain, d.ring_max_mu_v_mV);
}
}  // namespace

namespace {
flatbuffers::Offset<proto::Info> create_info(flatbuffers::FlatBufferBuilder& b, const server_info& i) {
  const build_info& x = i.build;
  const auto build = proto::CreateBuild(b, b.CreateString(x.version), b.CreateString(x.git_commit),
                                        b.CreateString(x.compiler), b.CreateString(x.build_type),
                                        b.CreateString(x.flags), x.march_native, x.portable,
                                        b.CreateString(x.fp_contract), b.CreateString(x.isa));
  const auto config = b.CreateString(i.config_toml);
  const firmware_sim::safety_limits& s = i.safety;
  const auto safety = proto::CreateSafetyLimits(b, s.max_current_uA, s.max_charge_per_phase_nC, s.shannon_k,
                                                s.max_net_charge_nC, s.net_charge_window_ms, s.max_pulse_rate_Hz,
                                                s.compliance_V, s.max_direct_pA);
  return proto::CreateInfo(b, b.CreateString(i.version), static_cast<proto::Mode>(i.mode), i.dt_ms, i.tick_ms,
                           i.steps_per_tick, i.seed, i.epoch, i.n_exc, i.n_inh, i.ring_units, i.ring_length_mm,
                           i.stim_channels, i.max_drive_rate_Hz, i.max_command_bytes, config, build,
                           i.commands_applied, i.aln, safety, i.electrodes, i.sensing_channels, i.schema_version,
                           b.CreateString(i.network_model), i.session_id);
}
}  // namespace

server_info info_of(const engine::engine_params& p, run_mode mode, const decode_limits& limits,
                    std::int64_t max_command_bytes) {
  server_info i;
#ifdef CORTEXLOOP_VERSION
  i.version = CORTEXLOOP_VERSION;
#endif
  i.build = this_build();
  i.mode = mode;
  i.dt_ms = p.simulation.dt_ms;
  i.tick_ms = p.simulation.tick_ms;
  i.steps_per_tick = static_cast<std::int32_t>(std::llround(p.simulation.tick_ms / p.simulation.dt_ms));
  i.seed = p.simulation.seed;
  if (!p.ring || p.ring->with_network) {
    i.n_exc = p.network.n_exc();
    i.n_inh = p.network.n_inh();
  }
  i.aln = p.aln.has_value();
  if (p.ring) {
    i.ring_units = static_cast<std::int32_t>(p.ring->n_units);
    i.ring_length_mm = p.ring->length_mm;
  }
  i.stim_channels = static_cast<std::int32_t>(firmware_sim::stimulator::kChannels);
  i.max_drive_rate_Hz = limits.max_drive_rate_Hz;
  i.max_command_bytes = max_command_bytes;
  i.safety = limits.layout.safety;
  i.electrodes = static_cast<std::int32_t>(limits.layout.electrodes.size());
  i.sensing_channels = static_cast<std::int32_t>(limits.sensing.size());
  i.network_model = engine::network_model_name(p);
  return i;
}

void encode_info(flatbuffers::FlatBufferBuilder& b, const server_info& info) {
  b.Clear();
  finish(b, proto::Payload::Info, create_info(b, info).Union());
}

void encode_ack(flatbuffers::FlatBufferBuilder& b, const ack_fields& a, const server_info* info) {
  b.Clear();
  const auto info_table = info ? create_info(b, *info) : flatbuffers::Offset<proto::Info>();
  // Every reason leaves the server bounded and as valid UTF-8, whatever went into it (a client's bytes
  // included): JSON writers downstream (cortexloop record) and FlatBuffers' own contract need UTF-8.
  const bool clean = a.reason.size() <= kMaxReason_bytes && is_valid_utf8(a.reason);
  const auto reason = a.reason.empty() ? flatbuffers::Offset<flatbuffers::String>()
                      : clean          ? b.CreateString(a.reason)
                                       : b.CreateString(sanitize_utf8(a.reason, kMaxReason_bytes));
  const auto ack = proto::CreateAck(b, a.seq, a.accepted, static_cast<proto::ErrorCode>(a.code), reason,
                                    a.tick_applied, a.epoch, a.client_send_ns, a.server_recv_ns, a.server_applied_ns,
                                    a.server_send_ns, info_table);
  finish(b, proto::Payload::Ack, ack.Union());
}

void encode_readout(flatbuffers::FlatBufferBuilder& b, const readout_record& r, std::int64_t publish_ns,
                    std::uint64_t session_id) {
  b.Clear();
  flatbuffers::Offset<flatbuffers::Vector<float>> rates, rates_inh, vsdi, stim;
  if (r.n_ring_units > 0) {
    rates = b.CreateVector(r.ring_rates_exc_Hz.data(), r.n_ring_units);
    rates_inh = b.CreateVector(r.ring_rates_inh_Hz.data(), r.n_ring_units);
    vsdi = b.CreateVector(r.vsdi_percent.data(), r.n_ring_units);
    stim = b.CreateVector(r.ring_stim_pA.data(), r.n_ring_units);
  }
  const auto device = encode_device(b, r.device, r.epoch);
  const auto aln = r.aln.present ? proto::CreateAlnReadout(b, r.aln.rate_e_Hz, r.aln.rate_i_Hz, r.aln.v_mean_e_mV,
                                                           r.aln.i_a_pA, r.aln.diverged, r.aln.out_of_table)
                                 : flatbuffers::Offset<proto::AlnReadout>();
  const proto::PopulationReadout exc = to_wire(r.exc), inh = to_wire(r.inh);
  proto::ReadoutBuilder rb(b);
  rb.add_device(device);
  if (r.aln.present) rb.add_aln(aln);
  rb.add_tick(r.tick);
  rb.add_epoch(r.epoch);
  rb.add_t_ms(r.t_ms);
  rb.add_tick_start_ns(r.tick_start_ns);
  rb.add_publish_ns(publish_ns);
  rb.add_exc(&exc);
  rb.add_inh(&inh);
  rb.add_lfp_proxy_na(r.lfp_proxy_nA);
  rb.add_diverged(r.diverged);
  rb.add_ring_out_of_table(r.ring_out_of_table);
  rb.add_session_id(session_id);
  if (r.n_ring_units > 0) {
    rb.add_ring_rates_exc_hz(rates);
    rb.add_vsdi_percent(vsdi);
    rb.add_ring_stim_pa(stim);
    rb.add_ring_rates_inh_hz(rates_inh);
  }
  finish(b, proto::Payload::Readout, rb.Finish().Union());
}

void encode_safety(flatbuffers::FlatBufferBuilder& b, const firmware_sim::safety_event& e, std::uint32_t epoch) {
  b.Clear();
  finish(b, proto::Payload::SafetyEvent, encode_safety_event(b, e, epoch).Union());
}

void encode_spikes(flatbuffers::FlatBufferBuilder& b, const spike_chunk& s, double dt_ms) {
  b.Clear();
  const auto steps = b.CreateVector(s.step.data(), s.n);
  const auto neurons = b.CreateVector(s.neuron.data(), s.n);
  finish(b, proto::Payload::SpikeBatch, proto::CreateSpikeBatch(b, s.tick, s.epoch, steps, neurons, dt_ms).Union());
}

void encode_status(flatbuffers::FlatBufferBuilder& b, const status_record& s, const io_counters& io) {
  b.Clear();
  const auto scheduling = b.CreateString(io.scheduling);
  const auto worker_compute = b.CreateVector(s.worker_compute_us.data(),
                                             std::min<std::size_t>(s.n_workers, s.worker_compute_us.size()));
  proto::StatusBuilder sb(b);
  sb.add_mode(static_cast<proto::Mode>(s.mode));
  sb.add_paused(s.paused);
  sb.add_server_ticks(s.server_ticks);
  sb.add_engine_tick(s.engine_tick);
  sb.add_epoch(s.epoch);
  sb.add_uptime_s(s.uptime_s);
  sb.add_window_s(s.window_s);
  sb.add_window_ticks(s.window_ticks);
  sb.add_realtime_factor(s.realtime_factor);
  sb.add_deadline_misses(s.deadline_misses);
  sb.add_window_deadline_misses(s.window_deadline_misses);
  sb.add_lateness_p50_us(s.lateness_p50_us);
  sb.add_lateness_p99_us(s.lateness_p99_us);
  sb.add_lateness_p999_us(s.lateness_p999_us);
  sb.add_lateness_max_us(s.lateness_max_us);
  sb.add_compute_p50_us(s.compute_p50_us);
  sb.add_compute_p99_us(s.compute_p99_us);
  sb.add_compute_max_us(s.compute_max_us);
  sb.add_readout_drops(s.readout_drops);
  sb.add_spike_drops(s.spike_drops);
  sb.add_safety_drops(s.safety_drops);
  sb.add_commands_received(io.commands_received);
  sb.add_commands_refused(io.commands_refused);
  sb.add_commands_dropped(io.commands_dropped);
  sb.add_rt_cpu_percent(s.rt_cpu_percent);
  sb.add_io_cpu_percent(io.io_cpu_percent);
  sb.add_rate_exc_hz(s.rate_exc_Hz);
  sb.add_rate_inh_hz(s.rate_inh_Hz);
  sb.add_scheduling(scheduling);
  sb.add_resyncs(s.resyncs);
  sb.add_ticks_skipped(s.ticks_skipped);
  sb.add_readout_age_p99_us(io.readout_age_p99_us);
  sb.add_readout_age_max_us(io.readout_age_max_us);
  sb.add_readout_every(io.readout_every);
  sb.add_lateness_total_p99_us(s.lateness_total_p99_us);
  sb.add_lateness_total_p999_us(s.lateness_total_p999_us);
  sb.add_lateness_total_max_us(s.lateness_total_max_us);
  sb.add_event_drops(s.event_drops);
  sb.add_status_drops(s.status_drops);
  sb.add_publish_drops(io.publish_drops);
  sb.add_ack_drops(io.ack_drops);
  sb.add_curve(io.curve);
  sb.add_curve_accepted(io.curve_accepted);
  sb.add_curve_denied(io.curve_denied);
  sb.add_worker_compute_us(worker_compute);
  sb.add_worker_imbalance(s.worker_imbalance);
  finish(b, proto::Payload::Status, sb.Finish().Union());
}

void encode_command(flatbuffers::FlatBufferBuilder& b, const command& c) {
  b.Clear();
  proto::CommandBody type = proto::CommandBody::Ping;
  flatbuffers::Offset<void> body;
  switch (c.kind) {
    case command_kind::set_stimulation: {
      const auto program = encode_channel_program(b, c.channel, c.site, c.program);
      type = proto::CommandBody::SetPrograms;
      body = proto::CreateSetPrograms(b, b.CreateVector(&program, 1), c.start_tick).Union();
      break;
    }
    case command_kind::set_controller: {
      const firmware_sim::controller_params& k = c.controller;
      const auto output = encode_channel_program(b, k.output_channel, k.output_site, k.output_program);
      std::vector<proto::ScheduleEntry> schedule;
      for (std::uint32_t i = 0; i < k.n_schedule; ++i) schedule.emplace_back(k.schedule[i].start_us, k.schedule[i].amplitude);
      const auto entries = b.CreateVectorOfStructs(schedule);
      proto::SetControllerBuilder sb(b);
      sb.add_slot(c.channel);
      sb.add_kind(static_cast<proto::ControllerKind>(k.kind));
      sb.add_sensing_channel(k.sensing_channel);
      sb.add_output(output);
      sb.add_feature(static_cast<proto::Feature>(k.feature));
      sb.add_threshold(k.threshold);
      sb.add_rising(k.rising);
      sb.add_refractory_us(k.refractory_us);
      sb.add_target(k.target);
      sb.add_kp(k.kp);
      sb.add_ki_per_s(k.ki_per_s);
      sb.add_output_min(k.output_min);
      sb.add_output_max(k.output_max);
      sb.add_invert(k.invert);
      sb.add_target_phase_deg(k.target_phase_deg);
      sb.add_min_interval_us(k.min_interval_us);
      sb.add_loop_delay_us(k.loop_delay_us);
      sb.add_timeout_us(k.timeout_us);
      sb.add_ramp_down_us(k.ramp_down_us);
      sb.add_schedule(entries);
      sb.add_period_us(k.period_us);
      sb.add_start_tick(c.start_tick);
      type = proto::CommandBody::SetController;
      body = sb.Finish().Union();
      break;
    }
    case command_kind::clear_controller:
      type = proto::CommandBody::ClearController;
      body = proto::CreateClearController(b, c.channel, c.all_channels).Union();
      break;
    case command_kind::clear_stimulation:
      type = proto::CommandBody::ClearStimulation;
      body = proto::CreateClearStimulation(b, c.channel, c.all_channels).Union();
      break;
    case command_kind::set_drive_rate:
      type = proto::CommandBody::SetDriveRate;
      body = proto::CreateSetDriveRate(b, c.value).Union();
      break;
    case command_kind::pause:
      type = proto::CommandBody::Pause;
      body = proto::CreatePause(b).Union();
      break;
    case command_kind::resume:
      type = proto::CommandBody::Resume;
      body = proto::CreateResume(b).Union();
      break;
    case command_kind::reset:
      type = proto::CommandBody::Reset;
      body = proto::CreateReset(b, c.seed).Union();
      break;
    case command_kind::step:
      type = proto::CommandBody::Step;
      body = proto::CreateStep(b, c.ticks).Union();
      break;
    case command_kind::set_parameter:
      type = proto::CommandBody::SetParameter;
      body = proto::CreateSetParameter(b, b.CreateString(to_string(c.parameter)), c.value).Union();
      break;
    case command_kind::ping:
      type = proto::CommandBody::Ping;
      body = proto::CreatePing(b).Union();
      break;
    case command_kind::get_info:
      type = proto::CommandBody::GetInfo;
      body = proto::CreateGetInfo(b).Union();
      break;
  }
  finish(b, proto::Payload::Command, proto::CreateCommand(b, c.seq, c.client_send_ns, type, body).Union());
}

}  // namespace cortexloop::io
