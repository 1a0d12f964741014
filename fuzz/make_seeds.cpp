// Writes the seed corpus of fuzz_command: one valid Message per command kind, programs of every waveform on
// every site kind and controllers of every kind (valid for configs/closed_loop.toml), through the client's own
// encoder (io::encode_command). Usage: cortexloop_fuzz_seeds DIR. scripts/fuzz.sh runs it before fuzzing.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <flatbuffers/flatbuffers.h>

#include "io/protocol/codec.hpp"

using namespace cortexloop;
using namespace cortexloop::firmware_sim;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  int n = 0;
  flatbuffers::FlatBufferBuilder b;
  auto write = [&](const io::command& c, const std::string& name) {
    io::encode_command(b, c);
    const auto bytes = b.GetBufferSpan();
    std::ofstream(dir / ("seed_" + std::to_string(n++) + "_" + name), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  };
  using io::command_kind;
  for (command_kind k : {command_kind::pause, command_kind::resume, command_kind::ping, command_kind::get_info}) {
    io::command c;
    c.kind = k;
    c.seq = 7;
    write(c, std::string(io::to_string(k)));
  }
  {
    io::command c;
    c.kind = command_kind::set_drive_rate;
    c.value = 5.0;
    write(c, "drive");
    c.kind = command_kind::reset;
    c.seed = 42;
    write(c, "reset");
    c.kind = command_kind::step;
    c.ticks = 10;
    write(c, "step");
    c.kind = command_kind::set_parameter;
    c.parameter = io::parameter_id::stream_readout_every;
    c.value = 2;
    write(c, "parameter");
    c.kind = command_kind::clear_stimulation;
    c.channel = 3;
    write(c, "clear");
    c.all_channels = true;
    c.channel = 0;
    write(c, "clear_all");
    c.kind = command_kind::clear_controller;
    write(c, "clear_controllers");
  }
  // Programs: every waveform on each site kind.
  for (int kind = 0; kind < 3; ++kind) {
    for (int shape = 0; shape < 5; ++shape) {
      io::command c;
      c.kind = command_kind::set_stimulation;
      c.channel = static_cast<std::uint8_t>(shape);
      c.site.kind = static_cast<site_kind>(kind);
      c.site.position_mm = 9.0;
      c.site.width_mm = 1.5;
      c.site.electrode = static_cast<std::uint8_t>(kind == 2 ? shape % 2 : 0);
      program& p = c.program;
      p.shape = static_cast<waveform>(shape);
      p.amplitude = kind == 2 ? 20.0 : 50.0;
      p.frequency_Hz = 10.0;
      p.delay_us = 1000;
      p.duration_us = 200'000;
      if (p.shape == waveform::pulse_train) {
        p.phase_width_us = 100;
        p.interphase_gap_us = 50;
        p.frequency_Hz = 130.0;
        p.pulses_per_burst = 5;
        p.burst_period_us = 100'000;
        p.n_bursts = 2;
      } else {
        p.ramp_up_us = 10'000;
        p.ramp_down_us = 10'000;
      }
      if (p.shape == waveform::arbitrary) {
        p.wave.n_samples = 8;
        p.wave.sample_period_us = 500;
        for (int i = 0; i < 8; ++i) p.wave.samples[i] = static_cast<float>(i % 3) - 1.0f;
      }
      if (p.shape == waveform::noise) p.wave.sample_period_us = 1000;
      write(c, "program_site" + std::to_string(kind) + "_shape" + std::to_string(shape));
    }
  }
  // Controllers: every kind, on sensing channel 0 (rate_exc) or 1 (lfp_proxy), an electrode output.
  for (int kind = 1; kind <= 5; ++kind) {
    io::command c;
    c.kind = command_kind::set_controller;
    c.channel = static_cast<std::uint8_t>(kind % 4);
    controller_params& k = c.controller;
    k.kind = static_cast<controller_kind>(kind);
    k.sensing_channel = kind == 4 ? 1 : 0;
    k.output_channel = 2;
    k.output_site.kind = site_kind::electrode;
    k.output_site.electrode = 0;
    program& p = k.output_program;
    p.shape = waveform::pulse_train;
    p.amplitude = 10.0;
    p.frequency_Hz = 100.0;
    p.phase_width_us = 100;
    p.pulses_per_burst = 3;
    p.burst_period_us = 50'000;
    p.n_bursts = 1;
    k.threshold = 10.0;
    k.target = 10.0;
    k.kp = 0.5;
    k.ki_per_s = 1.0;
    k.output_min = 0.0;
    k.output_max = 20.0;
    k.min_interval_us = 100'000;
    k.period_us = 100'000;
    k.n_schedule = 2;
    k.schedule[0] = {0, 5.0};
    k.schedule[1] = {50'000, 10.0};
    write(c, "controller" + std::to_string(kind));
  }
  std::printf("%d seeds in %s\n", n, dir.c_str());
  return 0;
}
