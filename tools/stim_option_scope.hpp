#pragma once
// `stim` has one set of options for all its actions; which action (and, for a controller, which kind or output
// program) each applies to. One given where it does not apply was ignored without a word (`stim dc --slot 3 --kind
// phase_locked`, `stim controller --kind responsive --target 5`: an outside audit, 2026-12-06): refused instead.
#include <string>

#include <CLI/CLI.hpp>

namespace cortexloop::tools {

// Prefixes each scoped option's --help with where it applies, from the same table ("dc, sine, noise: ..."): the help
// and the check were two lists, and the table, copied from the help, inherited its mistake (noise's --offset and
// ramps: a review, 2026-12-06). Call once, after every option is added.
void describe_stim_option_scopes(CLI::App& stim);

// Throws CLI::ValidationError naming the first option given on the command line that `action` does not use.
// kind: the controller's --kind; program_shape: its --program (both read for action "controller" only).
void check_stim_option_scope(const CLI::App& stim, const std::string& action, const std::string& kind,
                             const std::string& program_shape);

}  // namespace cortexloop::tools
