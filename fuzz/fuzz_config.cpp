// libFuzzer target: the config loader on arbitrary TOML text. io::parse_config and then (on success)
// io::parse_device_config must either succeed or throw io::config_error (a user error naming the key); any other
// exception, a crash or UB is a bug. An accepted [device] section is then built into a firmware_sim::device and
// stepped a little (what the loader accepts must run). Runs with the current directory configs/ (scripts/fuzz.sh),
// so `base = "default.toml"` resolves as it does for a file there.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "fuzz/fuzz_common.hpp"
#include "io/config/config_loader.hpp"

using namespace cortexloop;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // `base` names a file read whole: keep the fuzzer away from devices and other folders (the loader would read
  // /dev/zero forever, as `cortexloop` would for a user who asked for it).
  if (text.find("/") != std::string_view::npos && text.find("base") != std::string_view::npos) return 0;
  try {
    const engine::engine_params engine = io::parse_config(text, "fuzz.toml");
    const firmware_sim::device_params device = io::parse_device_config(text, "fuzz.toml", {}, engine);
    FUZZ_CHECK(device.layout.electrodes.size() <= firmware_sim::kMaxElectrodes);
    FUZZ_CHECK(device.sensing.size() <= firmware_sim::kMaxSensing);
    FUZZ_CHECK(device.layout.dt_us > 0);
    // Big rings are legal configs but slow to build per input; the server caps them at io::kMaxRingUnits.
    if (device.layout.ring.n_units <= 1024) {
      firmware_sim::device dev(device);
      fuzz::step_and_check(dev, 0, 20);
    }
  } catch (const io::config_error&) {
    // the expected refusal
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: parse_config threw something other than config_error: %s\n", e.what());
    std::abort();
  }
  return 0;
}
