#include "tools/stim_command.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "io/client.hpp"

namespace cortexloop::tools {

namespace {

struct stim_options {
  std::string action;
  std::string commands = "tcp://127.0.0.1:5556";
  int channel = 0;
  bool all = false;
  std::string population = "exc";
  std::optional<double> ring_position_mm;
  double width_mm = 1.5;
  std::optional<double> amplitude_pA;
  double frequency_Hz = 0, pulse_width_ms = 0, delay_ms = 0, duration_ms = 0;
  bool biphasic = false;
  double rate_Hz = 0;
  std::uint64_t seed = 1;
  std::uint32_t ticks = 1;
  std::string name;
  double value = 0;
  double timeout_s = 5;
};

io::command build(const stim_options& o) {
  io::command c;
  const std::string& a = o.action;
  if (a == "dc" || a == "sine" || a == "pulses") {
    c.kind = io::command_kind::set_stimulation;
    c.channel = static_cast<std::uint8_t>(o.channel);
    firmware_sim::program& p = c.program;
    p.shape = a == "dc" ? firmware_sim::waveform::dc : a == "sine" ? firmware_sim::waveform::sine
                                                                    : firmware_sim::waveform::pulse_train;
    p.population = o.population == "inh" ? engine::population::inh : engine::population::exc;
    if (o.ring_position_mm) {
      p.site = firmware_sim::site_kind::ring_position;
      p.position_mm = *o.ring_position_mm;
      p.width_mm = o.width_mm;
    }
    // No default amplitude: a forgotten --amplitude would otherwise load a silent 0 pA program and say "accepted".
    if (!o.amplitude_pA) throw CLI::ValidationError("--amplitude", a + " needs --amplitude (pA per cell)");
    p.amplitude_pA = *o.amplitude_pA;
    p.frequency_Hz = o.frequency_Hz;
    p.pulse_width_ms = o.pulse_width_ms;
    p.biphasic = o.biphasic;
    p.delay_ms = o.delay_ms;
    p.duration_ms = o.duration_ms;
  } else if (a == "clear") {
    c.kind = io::command_kind::clear_stimulation;
    c.channel = static_cast<std::uint8_t>(o.channel);
    c.all_channels = o.all;
  } else if (a == "drive") {
    c.kind = io::command_kind::set_drive_rate;
    c.value = o.rate_Hz;
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
    c.value = o.value;
    if (!io::parse_parameter(o.name, c.parameter))
      throw CLI::ValidationError("--name", o.name + " is not settable (network.drive.rate_Hz, stream.spikes, "
                                           "stream.readout_every)");
  } else {
    c.kind = io::command_kind::ping;
  }
  return c;
}

int run_stim(const stim_options& o) {
  io::client client(o.commands);
  const std::uint64_t seq = client.send(build(o));
  const auto ack = client.wait_ack(seq, std::chrono::milliseconds(static_cast<int>(o.timeout_s * 1000)));
  if (!ack) {
    std::fprintf(stderr, "stim: no ack from %s within %.1f s (is `cortexloop serve` running?)\n", o.commands.c_str(),
                 o.timeout_s);
    return 4;
  }
  const double rtt_ms = static_cast<double>(ack->recv_ns - ack->client_send_ns) / 1e6;
  if (ack->accepted) {
    std::printf("ack seq %llu: %s accepted, applied at tick %lld (epoch %u); command->applied %.3f ms, round trip "
                "%.3f ms\n",
                static_cast<unsigned long long>(ack->seq), o.action.c_str(), static_cast<long long>(ack->tick_applied),
                ack->epoch, static_cast<double>(ack->server_applied_ns - ack->client_send_ns) / 1e6, rtt_ms);
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
      "stim", "Send one command to a running server and print its ack (exit 0 accepted, 3 refused, 4 no answer)");
  cmd->add_option("action", o->action,
                  "dc | sine | pulses (load a stimulation program), clear, drive, pause, resume, reset, step, set, ping")
      ->required()
      ->check(CLI::IsMember({"dc", "sine", "pulses", "clear", "drive", "pause", "resume", "reset", "step", "set", "ping"}));
  cmd->add_option("--commands", o->commands, "Server's command endpoint")->capture_default_str();
  cmd->add_option("--channel", o->channel, "Stimulator channel 0-7 (a program replaces the channel's previous one)")
      ->check(CLI::Range(0, 7))
      ->capture_default_str();
  cmd->add_flag("--all", o->all, "clear: every channel");
  cmd->add_option("--population", o->population, "Target population")->check(CLI::IsMember({"exc", "inh"}))->capture_default_str();
  cmd->add_option("--ring-position", o->ring_position_mm, "Target the ring at this position (mm) instead of a population");
  cmd->add_option("--width", o->width_mm, "Ring target: Gaussian width (mm)")->capture_default_str();
  cmd->add_option("--amplitude", o->amplitude_pA, "Amplitude (pA per cell); required by dc, sine, pulses");
  cmd->add_option("--frequency", o->frequency_Hz, "sine, pulses: frequency (Hz)");
  cmd->add_option("--pulse-width", o->pulse_width_ms, "pulses: width of one pulse (ms)");
  cmd->add_flag("--biphasic", o->biphasic, "pulses: each pulse followed by its opposite");
  cmd->add_option("--delay", o->delay_ms, "Start this long after the command is applied (ms)");
  cmd->add_option("--duration", o->duration_ms, "Stop after this long (ms; 0 = until replaced or cleared)");
  cmd->add_option("--rate", o->rate_Hz, "drive: external drive rate (Hz)");
  cmd->add_option("--seed", o->seed, "reset: seed")->capture_default_str();
  cmd->add_option("--ticks", o->ticks, "step: ticks to advance (stepped mode)")->capture_default_str();
  cmd->add_option("--name", o->name, "set: parameter name (network.drive.rate_Hz, stream.spikes, stream.readout_every)");
  cmd->add_option("--value", o->value, "set: value");
  cmd->add_option("--timeout", o->timeout_s, "Seconds to wait for the ack")->capture_default_str();
  cmd->callback([o] {
    if (const int rc = run_stim(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
