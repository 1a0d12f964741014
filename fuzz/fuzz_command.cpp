// libFuzzer target: io::decode_command on arbitrary bytes, with the limits of configs/closed_loop.toml (ring,
// two electrodes, sensing channels; stepped mode so that Step is decodable). decode_command must refuse or
// accept without UB; a refusal must carry a code and a reason. Every accepted program or controller (the
// decoder ran firmware_sim::validate on it) is then loaded into a fresh firmware_sim::device and stepped:
// the validator's promise is that what it accepts runs without UB or crash and delivers finite currents.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz/fuzz_common.hpp"
#include "io/protocol/codec.hpp"

namespace {

using namespace cortexloop;

const io::decode_limits& limits() {
  static const io::decode_limits l = [] {
    const auto& s = fuzz::closed_loop();
    io::decode_limits d{.mode = io::run_mode::stepped, .dt_ms = s.engine.simulation.dt_ms, .layout = s.device.layout,
                        .sensing = s.device.sensing};
    io::set_drive_limits(d, s.engine);
    io::set_population_limits(d, s.engine);
    return d;
  }();
  return l;
}

// The step at which a program loaded "now" reaches local time 0 after its delay is -delay / dt: loading it
// that early makes the first stepped step the program's start (else a long delay would leave nothing to run).
std::int64_t start_for(const firmware_sim::program& p, std::int64_t dt_us) { return -(p.delay_us / dt_us); }

// The record's ring profile, as the real-time thread passes it (computed by the decoder).
std::span<const float> profile_of(const io::command& c) { return {c.ring_profile.data(), c.n_ring_profile}; }

void run_accepted(const io::decoded_command& d) {
  const auto& setup = fuzz::closed_loop();
  const std::int64_t dt_us = setup.device.layout.dt_us;
  const io::command& c = d.cmd;
  if (c.kind == io::command_kind::set_stimulation) {
    FUZZ_CHECK(c.channel < firmware_sim::stimulator::kChannels);
    // Programs as the real-time thread loads them (start step 0), and from their start (after the delay). When
    // no program has a delay of a step or more, both runs load the same programs at step 0: the second (same
    // input, deterministic device) would repeat the first, so it is skipped.
    bool delayed = start_for(c.program, dt_us) != 0;
    for (const io::command& g : d.group) delayed = delayed || start_for(g.program, dt_us) != 0;
    for (int from_start = 0; from_start < (delayed ? 2 : 1); ++from_start) {
      firmware_sim::device& dev = fuzz::fresh_device();
      if (c.group_size > 1) {
        FUZZ_CHECK(d.group.size() == c.group_size);
        for (const io::command& g : d.group) {
          FUZZ_CHECK(g.channel < firmware_sim::stimulator::kChannels);
          dev.load(g.channel, g.site, g.program, from_start ? start_for(g.program, dt_us) : 0, profile_of(g));
        }
      } else {
        dev.load(c.channel, c.site, c.program, from_start ? start_for(c.program, dt_us) : 0, profile_of(c));
      }
      fuzz::step_and_check(dev, 0, 60);
    }
  } else if (c.kind == io::command_kind::set_controller) {
    FUZZ_CHECK(c.channel < firmware_sim::kMaxControllers);
    firmware_sim::device& dev = fuzz::fresh_device();
    dev.set_controller(c.channel, c.controller, 0, profile_of(c));
    fuzz::step_and_check(dev, 0, 200);
    dev.clear_controller(c.channel);
    fuzz::step_and_check(dev, 200, 20);
  } else if (c.kind == io::command_kind::clear_stimulation || c.kind == io::command_kind::clear_controller) {
    firmware_sim::device& dev = fuzz::fresh_device();
    if (c.kind == io::command_kind::clear_stimulation) {
      if (c.all_channels) dev.clear_channels();
      else dev.clear(c.channel);
    } else {
      if (c.all_channels) dev.clear_controllers();
      else dev.clear_controller(c.channel);
    }
    fuzz::step_and_check(dev, 0, 10);
  } else if (c.kind == io::command_kind::set_drive_rate) {
    FUZZ_CHECK(c.value >= 0.0 && c.value <= limits().max_drive_rate_Hz);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const io::decoded_command d = io::decode_command(std::span<const std::uint8_t>(data, size), limits());
  if (!d.ok) {
    FUZZ_CHECK(d.code != io::error_code::ok);
    FUZZ_CHECK(!d.reason.empty());
    return 0;
  }
  FUZZ_CHECK(d.code == io::error_code::ok);
  if (d.cmd.kind == io::command_kind::set_stimulation)
    for (const io::command& g : d.group.empty() ? std::span<const io::command>(&d.cmd, 1) : std::span<const io::command>(d.group))
      fuzz::dump(g.site, g.program, "accepted program");
  if (d.cmd.kind == io::command_kind::set_controller) fuzz::dump(d.cmd.controller.output_site, d.cmd.controller.output_program, "accepted controller output");
  run_accepted(d);
  return 0;
}
