#pragma once
// Loads a cortexloop TOML config into engine parameters, validating every key (see config_reader.hpp).
// Overrides "section.key=value" (the CLI's --set) are applied to the TOML tree before validation, so they
// are checked exactly like the file.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "engine/params.hpp"
#include "firmware_sim/device.hpp"
#include "io/config/config_reader.hpp"

namespace cortexloop::io {

// An override made by a command-line option other than --set (`--threads 3` sets simulation.threads): errors
// about the key name the option as the user typed it, `label` ("--threads 3: must be in [1, 2]: ..."), not the key
// nor a converted value. Overrides are otherwise "key=value" texts; this one carries its label before a
// kOptionMark (a control character no key or typed value contains).
inline constexpr char kOptionMark = '\x1f';
std::string labelled_override(std::string_view label, std::string_view key, std::string_view value);
// An override as messages name it: its label, or "--set key=value" (a sweep's point named its raw texts, the
// label and the key=value run together: "--y k = 0.6k=0.59999999999999998").
std::string override_shown(std::string_view tagged);
// The dotted key an override sets ("simulation.seed" of "--seed 7" or of "simulation.seed=7").
std::string override_key(std::string_view tagged);
// Whether two override keys set some of the same values: equal, or one a table the other lies in
// ("network.drive" and "network.drive.rate_Hz", "ring.afferent" and "ring.afferent[0].position_mm"). A whole table
// given by --set replaced a key set apart from it, or by an option, whichever came last (an outside audit,
// 2026-12-07: --seed 5 with --set 'simulation={..., seed=7}' ran seed 5 and recorded 7).
bool override_keys_overlap(std::string_view a, std::string_view b);
// Whether an override gives `key` (a dotted key with no [index]): its own key, a key under it, or a whole table
// holding it (`--set 'simulation={..., threads=2}'` gives simulation.threads; `--set 'simulation={seed=7}'` does
// not). sweep's check of simulation.threads was by equal key and took the table's threads and dropped them.
bool override_sets(std::string_view tagged, std::string_view key);

// simulation.seed's largest value (its range is [0, 2^63 - 1], TOML's largest integer), as the options that set a
// seed check it (tools/number_checks.hpp): one limit, where `fit-tf --seed 18446744073709551615` was accepted.
inline constexpr std::int64_t kMaxSeed = INT64_MAX;
// The refusal of a whole number `digits` (an optional sign, then digits) beyond TOML's 64-bit integers, naming the
// limit it passed: "beyond a 64-bit integer" read as 2^64 where the limit is 2^63 - 1 (an outside audit).
std::string integer_out_of_range(std::string_view digits);
// simulation.duration_s's largest value (s): simulate's and serve's --duration are checked as that key, by the
// loader (serve took 1e300 where simulate stopped at this, and ran 1 tick for 1e-300).
inline constexpr double kMaxDurationS = 1e6;

// What a command takes a config for: to run its engine (every check), or for its cells alone (tf, fit-tf: they build
// their own populations of the config's cells, so what only a stepped network needs, the drive's resolution and the
// network's memory, is not theirs to refuse: tf at dt 1e-4 ms was refused over a drive it never uses, a review).
enum class config_use { run, cells_only };
engine::engine_params load_config(const std::filesystem::path& file, std::span<const std::string> overrides = {},
                                  config_use use = config_use::run);
engine::engine_params parse_config(std::string_view toml_text, std::string_view source_name,
                                   std::span<const std::string> overrides = {});

// The config as the loader sees it before reading it: `base =` chains merged and the overrides applied, as TOML
// text (every number printed so that it reads back as the same value). parse_config of this text gives the
// same parameters as load_config(file, overrides); `serve` builds from it and publishes it (Info.config_toml),
// `record` stores it (session.toml), `replay` builds from it.
std::string resolved_config_text(const std::filesystem::path& file, std::span<const std::string> overrides = {});

// The [device] section of the same config (the simulated neurostimulator), checked against the engine's
// parameters; a config without one gets firmware_sim's defaults (direct sites only).
firmware_sim::device_params load_device_config(const std::filesystem::path& file, std::span<const std::string> overrides,
                                               const engine::engine_params& engine);
firmware_sim::device_params parse_device_config(std::string_view toml_text, std::string_view source_name,
                                                std::span<const std::string> overrides,
                                                const engine::engine_params& engine);

// The config's TOML tree as the loader sees it (base chain merged, overrides applied) and where its values came
// from: for readers of sections that are not the engine's (config_aln.hpp).
struct resolved_config {
  toml::table root;
  std::shared_ptr<const config_origin> origin;
};
resolved_config resolve_config(const std::filesystem::path& file, std::span<const std::string> overrides = {});
// The [simulation] section, read and checked as load_config does.
engine::simulation_params read_simulation_section(table_reader t);

}  // namespace cortexloop::io
