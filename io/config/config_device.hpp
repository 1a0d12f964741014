#pragma once
// Reading of the [device] section (the simulated neurostimulator, firmware_sim/device.hpp): electrodes, the
// network's place on the ring, field coupling, safety limits and sensing channels. Every key is optional
// with the default of firmware_sim's structs, and validated like every other key (file:line, key, value,
// allowed range). Geometry is checked against the engine's config (ring length, dt).
#include "engine/params.hpp"
#include "firmware_sim/device.hpp"
#include "io/config/config_reader.hpp"

namespace cortexloop::io {

firmware_sim::device_params read_device(table_reader t, const engine::engine_params& engine);
// A config without [device]: direct sites only, default safety.
firmware_sim::device_params default_device(const engine::engine_params& engine);

}  // namespace cortexloop::io
