#include "tools/stim_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "engine/meanfield/params.hpp"
#include "firmware_sim/time_limits.hpp"
#include "io/client/client.hpp"
#include "io/protocol/format_number.hpp"
#include "tools/curve_options.hpp"
#include "tools/endpoint_option.hpp"
#include "tools/number_checks.hpp"
#include "tools/option_override.hpp"
#include "tools/stim_option_scope.hpp"

namespace cortexloop::tools {

namespace {

struct stim_options {
  std::string action;
  std::string commands = "tcp://127.0.0.1:5556";
  curve_client_cli curve;
  int channel = 0;
  bool all = false;
  std::string population = "exc";
  std::optional<double> ring_position_mm;
  double width_mm = 1.5;
  std::optional<int> electrode;
  std::optional<double> amplitude;  // pA per cell (direct sites) or uA (--electrode)
  std::optional<double> frequency_Hz;  // sine, pulses: required (no silent 0)
  double pulse_width_ms = 0, delay_ms = 0, duration_ms = 0;
  double offset = 0, phase_deg = 0, ramp_up_ms = 0, ramp_down_ms = 0, gap_us = 0, burst_period_ms = 0;
  std::uint32_t pulses_per_burst = 0, bursts = 0;
  std::int64_t start_tick = -1;
  bool biphasic = false, monophasic = false, anodic_first = false;
  // controller
  std::string program_shape = "dc";  // the controller's output program
  int slot = 0, sensing = 0;
  std::string kind = "pi_clamp", feature = "filtered";
  double threshold = 0, refractory_ms = 100, target = 0, kp = 0, ki_per_s = 0, output_min = 0, output_max = 0;
  double target_phase_deg = 0, min_interval_ms = 0, loop_delay_us = 0, timeout_ms = 100, watchdog_ramp_ms = 10;
  double period_ms = 0;
  double noise_hold_us = 100;
  std::uint64_t noise_seed = 1;
  bool falling = false, invert = false;
  std::vector<std::string> schedule;  // "t_ms:amplitude" entries
  std::optional<double> rate_Hz;  // drive: required, as --amplitude and --value (no silent 0)
  std::uint64_t seed = 1;
  std::uint32_t ticks = 1;
  std::string name;
  std::optional<double> value;
  double timeout_s = 5;
};

// A time option (value × to_us microseconds) as the whole microseconds of a wire field of type T. Refused, naming the
// option, when the field cannot hold it or when rounding would change its meaning: a value that is not a number or
// is out of T's range was wrapped by the cast (--gap-us 1e30 went out as a 0 us gap, --refractory 1e300 as
// -9.2e18 us), and a non-zero value under half a microsecond became 0, which for --duration means "no end" (an
// outside check: --duration 0.0004 left a 100 pA DC on for good). Ranges tighter than T's the server checks.
// zero_allowed: whether the server takes 0 for the field (it refuses a 0 us watchdog timeout or pulse phase), so that
// the hint names only what it takes (it said "give 0 or at least 0.0005" of --watchdog-timeout: an outside audit).
template <class T>
T whole_us(const char* option, double value, double to_us, bool zero_allowed = true) {
  const double us = value * to_us;
  // Numbers as the shortest text that reads back as them (%g printed 1234.5675 ms as "1234.57", and its two
  // suggestions as one: a review, 2026-12-07).
  const auto text = [](double x) {
    char g[32];
    std::snprintf(g, sizeof g, "%g", x);  // as typed where %g reads back (0.0004, not 4e-04)
    return std::strtod(g, nullptr) == x ? std::string(g) : std::string(io::format_number(x).view());
  };
  const auto say = [&](const std::string& why) { return CLI::ValidationError(option, text(value) + ": " + why); };
  const auto us_text = [](double x) {  // the product value x to_us, without its rounding (50.499900000000004)
    char g[32];
    std::snprintf(g, sizeof g, "%.10g", x);
    return std::string(g);
  };
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
  constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
  // hi + 0.5: what rounds to T's largest value still fits (for int64 the sum is 2^63 in double, which does not)
  if (!std::isfinite(us) || (std::is_signed_v<T> ? us < lo - 0.5 : us < 0.0) || us >= hi + 0.5)
    throw say(std::is_signed_v<T> ? "out of range for whole microseconds" : "must be >= 0 and fit in 32-bit microseconds");
  const T r = static_cast<T>(std::llround(us));
  // No value is rounded: --pulse-width 0.0505 went out as 51 us and 0.0504999 as 50 us without a word (an outside
  // audit), where the Python client's Program refuses a fraction; and a non-zero value under half a microsecond
  // became 0, which for --duration means "no end". The tolerance is the product's rounding (0.3 ms x 1000 =
  // 300.00000000000006), never a real fraction of a microsecond. The hint names whole values the field takes: the
  // least one is 1 us (0.5 us was suggested, then refused), and 0 only where the server takes it (for --duration it
  // means no end, for --delay none; "give 0" of --watchdog-timeout named a value the server refused: an outside audit).
  if (std::fabs(us - static_cast<double>(r)) > std::max(1e-6, std::fabs(us) * 1e-15)) {
    const double below = std::floor(us), above = std::ceil(us);
    if (below == 0.0) {
      if (!zero_allowed)
        throw say("is " + us_text(us) + " us, under the wire's whole microsecond (and 0 is refused): give at least " +
                  text(1.0 / to_us));
      throw say("is " + us_text(us) + " us, under the wire's whole microsecond (0 asks for something else): give 0 or " +
                "at least " + text(1.0 / to_us));
    }
    throw say("is " + us_text(us) + " us, not a whole number of microseconds (the wire holds whole microseconds): give " +
              text(below / to_us) + " or " + text(above / to_us));
  }
  return r;
}

// The site and program options shared by dc/sine/pulses and a controller's output.
void fill_program(const stim_options& o, const std::string& shape, firmware_sim::site& s, firmware_sim::program& p) {
  // Milliseconds on the command line, whole microseconds on the wire and in the device.
  const auto us = [](const char* option, double ms) { return whole_us<std::int64_t>(option, ms, 1000.0); };
  s.population = o.population == "inh" ? engine::population::inh : engine::population::exc;
  if (o.electrode) {
    s.kind = firmware_sim::site_kind::electrode;
    s.electrode = static_cast<std::uint8_t>(*o.electrode);
  } else if (o.ring_position_mm) {
    s.kind = firmware_sim::site_kind::ring_position;
    s.position_mm = *o.ring_position_mm;
    s.width_mm = o.width_mm;
  }
  // As --frequency, here for a program of `stim pulses` and of `stim controller --program pulses` alike: without it
  // the server refused the program (exit 3; an outside check and a review, 2026-12-06).
  if (shape == "pulses" && o.pulse_width_ms == 0)
    throw CLI::ValidationError("--pulse-width", "pulses needs --pulse-width (ms, the width of one phase)");
  if (shape == "pulses" && !(o.pulse_width_ms > 0))
    throw CLI::ValidationError("--pulse-width", "must be > 0 ms, got " + std::string(io::format_number(o.pulse_width_ms).view()));
  // A pulse train's amplitude is the magnitude of its phases; at an electrode --anodic-first sets which comes first, and
  // a negative amplitude reversed that without a word (--electrode 0 --amplitude -100 went out cathodic-second: an
  // outside audit). At a direct site the CLI has no polarity option: there a negative amplitude is how a train starts
  // with its hyperpolarizing phase (docs/protocol.md, SetStimulation: A, then -A when biphasic).
  // At a direct site it was accepted and did nothing (an outside audit, 2026-12-07), where options that do not apply
  // are refused.
  if (o.anodic_first && !o.electrode)
    throw CLI::ValidationError("--anodic-first", "sets the phase order at an electrode (--electrode); at a direct "
                                                 "site a negative --amplitude starts the train negative");
  if (shape == "pulses" && o.electrode && o.amplitude && *o.amplitude < 0)
    throw CLI::ValidationError("--amplitude", std::string(io::format_number(*o.amplitude).view()) +
                                                  ": a pulse train's amplitude at an electrode is the magnitude of its "
                                                  "phases and must be >= 0; the polarity is --anodic-first (positive "
                                                  "phase first; cathodic first without it)");
  p.shape = shape == "dc"     ? firmware_sim::waveform::dc
            : shape == "sine"  ? firmware_sim::waveform::sine
            : shape == "noise" ? firmware_sim::waveform::noise
                               : firmware_sim::waveform::pulse_train;
  if (shape == "noise") {
    p.wave.sample_period_us = whole_us<std::uint32_t>("--noise-hold-us", o.noise_hold_us, 1.0, false);
    p.noise_seed = o.noise_seed;
  }
  p.amplitude = o.amplitude.value_or(0.0);
  p.offset = o.offset;
  p.frequency_Hz = o.frequency_Hz.value_or(0.0);
  p.phase_deg = o.phase_deg;
  p.ramp_up_us = us("--ramp-up", o.ramp_up_ms);
  p.ramp_down_us = us("--ramp-down", o.ramp_down_ms);
  p.phase_width_us = whole_us<std::uint32_t>("--pulse-width", o.pulse_width_ms, 1000.0, false);
  p.interphase_gap_us = whole_us<std::uint32_t>("--gap-us", o.gap_us, 1.0);
  // Pulses on an electrode are biphasic and cathodic-first unless asked otherwise; on a direct site the
  // old default (one positive pulse, --biphasic adds its opposite) stays.
  p.biphasic = o.electrode ? !o.monophasic : o.biphasic;
  p.cathodic_first = o.electrode ? !o.anodic_first : false;
  // At a direct site a negative --amplitude starts the train negative (as SetStimulation's A, then -A): sent as its
  // magnitude, negative phase first, since SetPrograms refuses a negative PulseTrain amplitude (`stim pulses
  // --amplitude -5` exited 3 against docs/device.md's promise: an outside audit, 2026-12-07).
  if (p.shape == firmware_sim::waveform::pulse_train && !o.electrode && p.amplitude < 0) {
    p.amplitude = -p.amplitude;
    p.cathodic_first = true;
  }
  p.pulses_per_burst = o.pulses_per_burst;
  p.burst_period_us = us("--burst-period", o.burst_period_ms);
  p.n_bursts = o.bursts;
  p.delay_us = us("--delay", o.delay_ms);
  p.duration_us = us("--duration", o.duration_ms);
}

firmware_sim::controller_kind controller_kind_of(const std::string& k) {
  if (k == "open_loop") return firmware_sim::controller_kind::open_loop;
  if (k == "responsive") return firmware_sim::controller_kind::responsive;
  if (k == "pi_clamp") return firmware_sim::controller_kind::pi_clamp;
  if (k == "phase_locked") return firmware_sim::controller_kind::phase_locked;
  return firmware_sim::controller_kind::external;
}

firmware_sim::feature_kind feature_of(const std::string& f) {
  if (f == "raw") return firmware_sim::feature_kind::raw;
  if (f == "rms") return firmware_sim::feature_kind::rms;
  if (f == "envelope") return firmware_sim::feature_kind::envelope;
  return firmware_sim::feature_kind::filtered;
}

// What a program of this shape needs, checked here for `stim sine/pulses/dc` and a controller's --program alike
// (a controller's was sent and refused by the server, exit 3: an outside audit, 2026-12-06).
void check_waveform_options(const stim_options& o, const std::string& shape) {
  // Caught here as --amplitude is, not sent for the server to refuse (exit 3; an outside check, 2026-12-06).
  if (shape == "sine" || shape == "pulses") {
    if (!o.frequency_Hz) throw CLI::ValidationError("--frequency", shape + " needs --frequency (Hz)");
    // A value given but out of range was refused as if missing ("sine needs --frequency" for --frequency 0: an
    // outside audit, 2026-12-06): the range is the device's (firmware_sim/time_limits.hpp).
    const bool sine = shape == "sine";
    const double f = *o.frequency_Hz, lowest = sine ? 0.0 : firmware_sim::kMinPulseFrequencyHz;
    if (!(sine ? f > lowest : f >= lowest) || !(f <= firmware_sim::kMaxFrequencyHz)) {
      char range[96];
      std::snprintf(range, sizeof range, "%s%g, %g] Hz", sine ? "(" : "[", lowest, firmware_sim::kMaxFrequencyHz);
      std::string why = "must be in ";
      why += range;
      why += " for " + shape + (sine ? "" : " (one pulse an hour at the least)") + ", got ";
      why += io::format_number(f).view();
      throw CLI::ValidationError("--frequency", why);
    }
  }
  if (o.ramp_down_ms != 0 && o.duration_ms == 0)
    throw CLI::ValidationError("--ramp-down", "needs --duration: the ramp ends the program, which without a "
                                              "duration never ends");
}

io::command build_controller(const stim_options& o) {
  // Like --amplitude for dc: a controller whose output settings were forgotten is accepted by the device and does
  // nothing (a PI clamp bounded to [0, 0], a responsive burst of 0): refused here, naming what it needs.
  if (o.kind == "pi_clamp" && o.output_min == 0 && o.output_max == 0)
    throw CLI::ValidationError("--output-max", "pi_clamp needs --output-max (and --output-min below 0 if it may "
                                               "draw negative current): its output is clamped to [min, max]");
  if ((o.kind == "responsive" || o.kind == "phase_locked") && !o.amplitude)
    throw CLI::ValidationError("--amplitude", o.kind + " needs --amplitude: the amplitude of the program it fires");
  // As the device refuses them (controllers.cpp), said here with the options' names (an outside audit, 2026-12-07:
  // the first two were accepted and did nothing, the third was sent and refused, exit 3).
  if (o.kind == "pi_clamp" && o.kp == 0 && o.ki_per_s == 0)
    throw CLI::ValidationError("--kp", "pi_clamp needs --kp or --ki above 0: with both 0 it never moves its output");
  if ((o.kind == "pi_clamp" || o.kind == "open_loop") && (o.duration_ms != 0 || o.bursts != 0))
    throw CLI::ValidationError(o.duration_ms != 0 ? "--duration" : "--bursts",
                               o.kind + " drives its program until it is cleared: give it no --duration or --bursts");
  if (o.kind == "open_loop" && o.schedule.empty())
    throw CLI::ValidationError("--schedule", "open_loop needs --schedule t_ms:amplitude (1 to 16 entries)");
  io::command c;
  c.kind = io::command_kind::set_controller;
  c.channel = static_cast<std::uint8_t>(o.slot);
  c.start_tick = o.start_tick;
  firmware_sim::controller_params& k = c.controller;
  k.kind = controller_kind_of(o.kind);
  k.sensing_channel = static_cast<std::uint8_t>(o.sensing);
  k.output_channel = static_cast<std::uint8_t>(o.channel);
  check_waveform_options(o, o.program_shape);
  fill_program(o, o.program_shape, k.output_site, k.output_program);
  k.feature = feature_of(o.feature);
  k.threshold = o.threshold;
  k.rising = !o.falling;
  k.refractory_us = whole_us<std::int64_t>("--refractory", o.refractory_ms, 1000.0);
  k.target = o.target;
  k.kp = o.kp;
  k.ki_per_s = o.ki_per_s;
  k.output_min = o.output_min;
  k.output_max = o.output_max;
  k.invert = o.invert;
  k.target_phase_deg = o.target_phase_deg;
  k.min_interval_us = whole_us<std::int64_t>("--min-interval", o.min_interval_ms, 1000.0);
  k.loop_delay_us = whole_us<std::int64_t>("--loop-delay-us", o.loop_delay_us, 1.0);
  k.timeout_us = whole_us<std::int64_t>("--watchdog-timeout", o.timeout_ms, 1000.0, false);
  k.ramp_down_us = whole_us<std::int64_t>("--watchdog-ramp", o.watchdog_ramp_ms, 1000.0);
  k.period_us = whole_us<std::int64_t>("--period", o.period_ms, 1000.0);
  if (o.schedule.size() > firmware_sim::kMaxSchedule)
    throw CLI::ValidationError("--schedule", "at most 16 entries");
  // Each number whole and finite, read as CLI11 reads every other number option: std::stod read a prefix, so
  // 0:10abc and 50:30:999 were taken as 10 and 30 (an outside audit, 2026-12-06), and 0:nan was sent for the server
  // to refuse (exit 3) where every other option refuses it here.
  const auto number = [](std::string_view text, double& out) {
    return CLI::detail::lexical_cast(std::string(text), out) && std::isfinite(out);
  };
  for (const std::string& entry : o.schedule) {
    const std::string_view e = entry;
    const auto colon = e.find(':');
    double t_ms = 0, amplitude = 0;
    if (colon == std::string_view::npos || !number(e.substr(0, colon), t_ms) || !number(e.substr(colon + 1), amplitude))
      throw CLI::ValidationError("--schedule", "'" + entry + "': expected t_ms:amplitude, e.g. 0:10 or 500:0");
    k.schedule[k.n_schedule++] = {whole_us<std::int64_t>("--schedule", t_ms, 1000.0), amplitude};
  }
  return c;
}

io::command build(const stim_options& o) {
  io::command c;
  const std::string& a = o.action;
  if (a == "controller") return build_controller(o);
  if (a == "clear-controller") {
    c.kind = io::command_kind::clear_controller;
    c.channel = static_cast<std::uint8_t>(o.slot);
    c.all_channels = o.all;
    return c;
  }
  if (a == "dc" || a == "sine" || a == "pulses" || a == "noise") {
    c.kind = io::command_kind::set_stimulation;
    c.channel = static_cast<std::uint8_t>(o.channel);
    c.start_tick = o.start_tick;
    // No default amplitude: a forgotten --amplitude would otherwise load a silent 0 program and say "accepted".
    if (!o.amplitude) throw CLI::ValidationError("--amplitude", a + " needs --amplitude (pA per cell, or uA with --electrode)");
    check_waveform_options(o, a);
    fill_program(o, a, c.site, c.program);
  } else if (a == "clear") {
    c.kind = io::command_kind::clear_stimulation;
    c.channel = static_cast<std::uint8_t>(o.channel);
    c.all_channels = o.all;
  } else if (a == "drive") {
    c.kind = io::command_kind::set_drive_rate;
    if (!o.rate_Hz) throw CLI::ValidationError("--rate", "drive needs --rate (the external drive rate, Hz)");
    c.value = *o.rate_Hz;
  } else if (a == "pause") {
    c.kind = io::command_kind::pause;
  } else if (a == "resume") {
    c.kind = io::command_kind::resume;
  } else if (a == "reset") {
    c.kind = io::command_kind::reset;
    c.seed = o.seed;
  } else if (a == "step") {
    c.kind = io::command_kind::step;
    c.ticks = o.ticks;
  } else if (a == "set") {
    c.kind = io::command_kind::set_parameter;
    if (!o.value) throw CLI::ValidationError("--value", "set needs --value (the parameter's new value)");
    c.value = *o.value;
    if (!io::parse_parameter(o.name, c.parameter))
      throw CLI::ValidationError("--name", o.name + " is not settable (network.drive.rate_Hz, stream.spikes, "
                                           "stream.readout_every)");
  } else {
    c.kind = io::command_kind::ping;
  }
  return c;
}

// The models see each step's mean current (docs/device.md, "Timing"): a phase shorter than the step acts only through
// its step's mean, which depends on where the pulse falls on the step grid (a biphasic pulse inside one step has no
// effect, the same pulse across a step boundary excites). The accepted ack has no room for a note (its reason is empty
// when accepted: docs/protocol.md), so this says it on stderr, with the server's step from GetInfo; without an answer
// in the time left, nothing.
void warn_phases_under_a_step(io::client& client, const io::command& sent,
                              std::chrono::steady_clock::time_point deadline) {
  // A controller's output train too: it loads the same pulses when it fires (an outside audit, 2026-12-07: only
  // `stim pulses` was warned about).
  const bool loads_program =
      sent.kind == io::command_kind::set_stimulation || sent.kind == io::command_kind::set_controller;
  const firmware_sim::program& p =
      sent.kind == io::command_kind::set_controller ? sent.controller.output_program : sent.program;
  if (!loads_program || p.shape != firmware_sim::waveform::pulse_train) return;
  io::command get_info;
  get_info.kind = io::command_kind::get_info;
  const auto ack = client.wait_ack(client.send(get_info, io::time_left(deadline)), io::time_left(deadline));
  if (!ack || !ack->info) return;
  const double dt_us = ack->info->dt_ms * 1000.0;
  if (!(static_cast<double>(p.phase_width_us) < dt_us)) return;
  std::fprintf(stderr,
               "stim: warning: phases of %u us are shorter than the server's step (simulation.dt_ms = %g ms): the cells, "
               "the ring and sensing see each step's mean current, so a phase acts only through it, and %s depends on "
               "where the pulse falls on the step grid; a simulation.dt_ms of at most %g ms resolves it (docs/device.md, "
               "\"Timing\")\n",
               p.phase_width_us, ack->info->dt_ms,
               p.biphasic ? "a biphasic pulse inside one step has no effect while one across a step boundary has: the "
                            "response"
                          : "the response",
               static_cast<double>(p.phase_width_us) / 1000.0);
}

int run_stim(const stim_options& o) {
  io::client client(o.commands, {}, {}, o.curve.load());
  // --timeout bounds the whole wait: for a connection (a command is queued only on a live one), then for the ack.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_s * 1000));
  const io::command sent = build(o);
  const std::uint64_t seq = client.send(sent, io::time_left(deadline));
  const auto ack = client.wait_ack(seq, io::time_left(deadline));
  if (!ack) {
    if (client.dropped(seq))  // never sent: say so, not that an ack is missing (an outside check, 2026-12-05)
      std::fprintf(stderr, "stim: no connection to %s within %.1f s; nothing was sent%s\n", o.commands.c_str(),
                   o.timeout_s, o.curve.hint());
    else
      std::fprintf(stderr, "stim: no ack from %s within %.1f s%s\n", o.commands.c_str(), o.timeout_s, o.curve.hint());
    return 4;
  }
  const double rtt_ms = static_cast<double>(ack->recv_ns - ack->client_send_ns) / 1e6;
  if (ack->accepted) {
    std::printf("ack seq %llu: %s accepted, applied at tick %lld (epoch %u); command->applied %.3f ms, round trip "
                "%.3f ms\n",
                static_cast<unsigned long long>(ack->seq), o.action.c_str(), static_cast<long long>(ack->tick_applied),
                ack->epoch, static_cast<double>(ack->server_applied_ns - ack->client_send_ns) / 1e6, rtt_ms);
    warn_phases_under_a_step(client, sent, deadline);
    return 0;
  }
  std::printf("ack seq %llu: %s refused: %s: %s\n", static_cast<unsigned long long>(ack->seq), o.action.c_str(),
              io::to_string(ack->code).data(), ack->reason.c_str());
  return 3;
}

}  // namespace

void add_stim_command(CLI::App& app) {
  auto o = std::make_shared<stim_options>();
  CLI::App* cmd = app.add_subcommand(
      "stim", "Send one command to a running server and print its ack (exit 0 accepted, 1 not sent, 2 wrong command line, 3 refused, 4 no answer)");
  cmd->add_option("action", o->action,
                  "dc | sine | pulses | noise (load a stimulation program), controller | clear-controller (on-device "
                  "controllers, docs/device.md), clear, drive, pause, resume, reset, step, set, ping")
      ->required()
      ->check(CLI::IsMember({"dc", "sine", "pulses", "noise", "controller", "clear-controller", "clear", "drive", "pause",
                             "resume", "reset", "step", "set", "ping"}));
  cmd->add_option("--commands", o->commands, "Server's command endpoint")
      ->capture_default_str()
      ->check(endpoint_text("the server's command"));
  add_curve_client_options(cmd, o->curve);
  cmd->add_option("--channel", o->channel, "Stimulator channel 0-7 (a program replaces the channel's previous one)")
      ->check(CLI::Range(0, 7))
      ->capture_default_str();
  cmd->add_flag("--all", o->all, "every channel (clear), every controller slot (clear-controller)");
  cmd->add_option("--population", o->population, "target population")->check(CLI::IsMember({"exc", "inh"}))->capture_default_str();
  // One site and one pulse kind: both given, one was dropped without a word (an outside check, 2026-12-04).
  // Checked as typed, before the wire's float32 narrows them (1e300 was refused as "site.position_mm = inf", 1e-300 as
  // "= 0": an outside audit, 2026-12-06), against what any ring allows; the server checks them against its ring.
  const std::string ring_limit = io::format_number(engine::meanfield::kMaxRingLength_mm).str();
  CLI::Option* ring_position =
      cmd->add_option("--ring-position", o->ring_position_mm,
                      "Target the ring at this position (mm) instead of a population: in [0, ring length)")
          ->check(number_in(0.0, engine::meanfield::kMaxRingLength_mm, false, true,
                            "mm (a ring is at most " + ring_limit + " mm long; the server checks its own length)"));
  cmd->add_option("--width", o->width_mm,
                  "Ring target: Gaussian width (mm; standard deviation), at most the ring's length, with a unit "
                  "within two widths of --ring-position (units length / n_units apart)")
      ->check(number_in(std::numeric_limits<float>::min(), engine::meanfield::kMaxRingLength_mm, false, false,
                        "mm (the wire's float32 holds no smaller width, and a ring is at most " + ring_limit +
                            " mm long; the server checks this ring's units and length)"))
      ->capture_default_str();
  cmd->add_option("--electrode", o->electrode, "Drive current through this electrode of the config ([[device.electrode]], 0-based); amplitude in uA")
      ->check(CLI::Range(0, 7))
      ->excludes(ring_position);
  cmd->add_option("--amplitude", o->amplitude, "pA per cell (direct sites) or uA (--electrode); required for dc, sine, pulses");
  cmd->add_option("--offset", o->offset, "offset added to the waveform (same unit)")->capture_default_str();
  static_assert(firmware_sim::kMaxFrequencyHz == 1000.0 && firmware_sim::kMinPulseFrequencyHz == 1.0 / 3600,
                "update --frequency's help");
  cmd->add_option("--frequency", o->frequency_Hz,
                  "frequency (Hz): a sine's in (0, 1000], a pulse train's in [1/3600, 1000] (one pulse "
                  "an hour at the least)");
  cmd->add_option("--phase", o->phase_deg, "phase at the start (degrees)")->capture_default_str();
  cmd->add_option("--ramp-up", o->ramp_up_ms, "linear ramp from 0 (ms)")->capture_default_str();
  cmd->add_option("--ramp-down", o->ramp_down_ms, "linear ramp to 0 before the end (ms; needs --duration)")->capture_default_str();
  cmd->add_option("--pulse-width", o->pulse_width_ms, "width of one phase (ms, > 0, a whole number of us: 0.05, not 0.0505); required for pulses");
  cmd->add_option("--gap-us", o->gap_us, "interphase gap (us)")->capture_default_str();
  CLI::Option* biphasic =
      cmd->add_flag("--biphasic", o->biphasic, "on a direct site: each pulse followed by its opposite (at an "
                                               "electrode pulses are always biphasic)");
  cmd->add_flag("--monophasic", o->monophasic, "one phase per pulse: the default on a direct site; at an electrode the "
                                               "device refuses it (a monophasic pulse leaves its charge in the tissue)")
      ->excludes(biphasic);
  cmd->add_flag("--anodic-first", o->anodic_first, "on an electrode: positive phase first");
  // The wire's uint32 range, checked as typed (CLI11 said only "Could not convert"); the device then checks that the
  // burst fits its --burst-period.
  const CLI::Validator uint32_count = whole_number_in(0, std::numeric_limits<std::uint32_t>::max());
  cmd->add_option("--pulses-per-burst", o->pulses_per_burst, "pulses in a burst (0 = continuous)")
      ->check(uint32_count)
      ->capture_default_str();
  cmd->add_option("--burst-period", o->burst_period_ms, "burst start to burst start (ms)")->capture_default_str();
  cmd->add_option("--bursts", o->bursts, "number of bursts (0 = no limit)")->check(uint32_count)->capture_default_str();
  cmd->add_option("--noise-hold-us", o->noise_hold_us, "each value held this long (us)")->capture_default_str();
  // Beyond 64 bits CLI11 said only "Could not convert" (an outside audit, 2026-12-06).
  cmd->add_option("--noise-seed", o->noise_seed, "the stream's seed")
      ->capture_default_str()
      ->check(whole_number_in(0, std::numeric_limits<std::uint64_t>::max()));
  // The server's range (start_tick, docs/protocol.md): beyond int64 CLI11 saturated it silently.
  cmd->add_option("--start-tick", o->start_tick, "Start at this engine tick (-1: the next tick)")
      ->check(integer_in(-1, io::kMaxStartTick, "(-1: the next tick)"))
      ->capture_default_str();
  cmd->add_option("--delay", o->delay_ms, "Start this long after the start tick (ms)")->capture_default_str();
  cmd->add_option("--duration", o->duration_ms, "Stop after this long (ms; 0 = until replaced or cleared)")->capture_default_str();
  // controller
  cmd->add_option("--slot", o->slot, "slot 0-3")->check(CLI::Range(0, 3))->capture_default_str();
  cmd->add_option("--kind", o->kind, "what it does")
      ->check(CLI::IsMember({"open_loop", "responsive", "pi_clamp", "phase_locked", "external"}))
      ->capture_default_str();
  cmd->add_option("--sensing", o->sensing, "the [[device.sensing]] channel it reads (0-based)")
      ->check(CLI::Range(0, 7))  // firmware_sim::kMaxSensing channels at most; a negative one was sent as 255
      ->capture_default_str();
  cmd->add_option("--feature", o->feature, "what it reads of the sample")
      ->check(CLI::IsMember({"raw", "filtered", "rms", "envelope"}))
      ->capture_default_str();
  cmd->add_option("--program", o->program_shape, "its output program on --channel (with the dc/sine/pulses options)")
      ->check(CLI::IsMember({"dc", "sine", "pulses"}))
      ->capture_default_str();
  cmd->add_option("--threshold", o->threshold, "threshold of the feature")->capture_default_str();
  cmd->add_flag("--falling", o->falling, "trigger on downward crossings");
  cmd->add_option("--refractory", o->refractory_ms, "ignore crossings this long after a trigger (ms)")->capture_default_str();
  cmd->add_option("--target", o->target, "target of the feature (its signal's unit)")->capture_default_str();
  cmd->add_option("--kp", o->kp, "proportional gain (output unit per signal unit)")->capture_default_str();
  cmd->add_option("--ki", o->ki_per_s, "integral gain (output unit per signal unit per second, e.g. "
                                       "pA/(Hz s))")->capture_default_str();
  cmd->add_option("--output-min", o->output_min, "lowest amplitude (pA per cell at a direct site, uA at an "
                                                   "electrode)")->capture_default_str();
  cmd->add_option("--output-max", o->output_max, "highest amplitude (pA per cell at a direct site, uA at an "
                                                   "electrode; must pass the safety limits)")->capture_default_str();
  cmd->add_flag("--invert", o->invert, "more output lowers the feature");
  cmd->add_option("--target-phase", o->target_phase_deg, "phase at which to stimulate (degrees, 0 = upward crossing)")->capture_default_str();
  cmd->add_option("--min-interval", o->min_interval_ms, "at least this long between triggers (ms)")->capture_default_str();
  cmd->add_option("--loop-delay-us", o->loop_delay_us, "known delay to compensate (us)")->capture_default_str();
  cmd->add_option("--watchdog-timeout", o->timeout_ms, "watchdog timeout (ms)")->capture_default_str();
  cmd->add_option("--watchdog-ramp", o->watchdog_ramp_ms, "ramp to zero when the watchdog fires (ms)")->capture_default_str();
  cmd->add_option("--schedule", o->schedule, "entries t_ms:amplitude (repeatable)");
  cmd->add_option("--period", o->period_ms, "repeat the schedule every this long (ms; 0 = once)")->capture_default_str();
  cmd->add_option("--rate", o->rate_Hz, "external drive rate (Hz); a server whose model has no drive (the Cakan 2020 network, an ALN node alone) refuses it");
  // The server's range (simulation.seed's): a larger one passed here and was refused by the server (exit 3).
  cmd->add_option("--seed", o->seed, "seed, 0 to 2^63 - 1 (as simulation.seed)")
      ->capture_default_str()
      ->check(seed_range);
  // The server's range (Step.ticks): the wire's uint32 range passed here and was refused by the server (exit 3; an
  // outside check, 2026-12-06).
  cmd->add_option("--ticks", o->ticks, "ticks to advance (stepped mode; 0 cancels what is left of earlier steps)")
      ->check(whole_number_in(0, io::kMaxStepTicks))
      ->capture_default_str();
  cmd->add_option("--name", o->name, "parameter name (network.drive.rate_Hz, stream.spikes, stream.readout_every)");
  cmd->add_option("--value", o->value, "value");
  cmd->add_option("--timeout", o->timeout_s, "Seconds to wait for a connection to the server and its ack (exit 4 after)")
      ->check(positive_number)
      ->capture_default_str();
  // The codes were in the description only, and the shared footer below them promised "1" without saying when.
  cmd->footer("Exit codes: 0 the server accepted the command; 1 it could not be sent (named: e.g. a CURVE key file "
              "that cannot be read); 2 the command line is wrong; 3 the server refused it (its reason printed); 4 no "
              "answer within --timeout.");
  // One of the two: `clear --channel 3 --all` cleared every channel (an outside audit, 2026-12-06).
  cmd->get_option("--all")->excludes(cmd->get_option("--channel"))->excludes(cmd->get_option("--slot"));
  cmd->get_option("--width")->needs(ring_position);
  describe_stim_option_scopes(*cmd);  // each option's help says where it applies, from the check's own table
  cmd->callback([o, cmd] {
    check_stim_option_scope(*cmd, o->action, o->kind, o->program_shape);
    if (const int rc = run_stim(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
