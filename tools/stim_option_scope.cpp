#include "tools/stim_option_scope.hpp"

#include <initializer_list>
#include <string_view>

namespace cortexloop::tools {

namespace {

// Where an option applies: an action ("dc", "clear", ...), "controller:<kind>", or "program:<shape>" (the shape
// of a program: the action's own for dc/sine/pulses/noise, --program's for a controller). As the options' --help
// says ("sine, pulses: ...", "pi_clamp: ...").
struct scope {
  const char* option;
  std::initializer_list<std::string_view> where;
};

constexpr std::string_view kAnyProgram[] = {"dc", "sine", "pulses", "noise", "controller"};

const scope kScopes[] = {
    {"--channel", {"dc", "sine", "pulses", "noise", "controller", "clear"}},
    {"--all", {"clear", "clear-controller"}},
    {"--population", {"dc", "sine", "pulses", "noise", "controller"}},
    {"--ring-position", {"dc", "sine", "pulses", "noise", "controller"}},
    {"--width", {"dc", "sine", "pulses", "noise", "controller"}},
    {"--electrode", {"dc", "sine", "pulses", "noise", "controller"}},
    {"--amplitude", {"dc", "sine", "pulses", "noise", "controller"}},
    {"--delay", {"dc", "sine", "pulses", "noise", "controller"}},
    {"--duration", {"dc", "sine", "pulses", "noise", "controller"}},
    {"--start-tick", {"dc", "sine", "pulses", "noise", "controller"}},
    {"--offset", {"program:dc", "program:sine"}},
    {"--frequency", {"program:sine", "program:pulses"}},
    {"--phase", {"program:sine"}},
    {"--ramp-up", {"program:dc", "program:sine"}},
    {"--ramp-down", {"program:dc", "program:sine"}},
    {"--pulse-width", {"program:pulses"}},
    {"--gap-us", {"program:pulses"}},
    {"--biphasic", {"program:pulses"}},
    {"--monophasic", {"program:pulses"}},
    {"--anodic-first", {"program:pulses"}},
    {"--pulses-per-burst", {"program:pulses"}},
    {"--burst-period", {"program:pulses"}},
    {"--bursts", {"program:pulses"}},
    {"--noise-hold-us", {"program:noise"}},
    {"--noise-seed", {"program:noise"}},
    {"--slot", {"controller", "clear-controller"}},
    {"--kind", {"controller"}},
    {"--program", {"controller"}},
    {"--sensing", {"controller:responsive", "controller:pi_clamp", "controller:phase_locked"}},
    {"--feature", {"controller:responsive", "controller:pi_clamp"}},
    {"--threshold", {"controller:responsive"}},
    {"--falling", {"controller:responsive"}},
    {"--refractory", {"controller:responsive"}},
    {"--target", {"controller:pi_clamp"}},
    {"--kp", {"controller:pi_clamp"}},
    {"--ki", {"controller:pi_clamp"}},
    {"--output-min", {"controller:pi_clamp"}},
    {"--output-max", {"controller:pi_clamp"}},
    {"--invert", {"controller:pi_clamp"}},
    {"--target-phase", {"controller:phase_locked"}},
    {"--min-interval", {"controller:phase_locked"}},
    {"--loop-delay-us", {"controller:phase_locked"}},
    {"--watchdog-timeout", {"controller:external"}},
    {"--watchdog-ramp", {"controller:external"}},
    {"--schedule", {"controller:open_loop"}},
    {"--period", {"controller:open_loop"}},
    {"--rate", {"drive"}},
    {"--seed", {"reset"}},
    {"--ticks", {"step"}},
    {"--name", {"set"}},
    {"--value", {"set"}},
};

bool is_program_action(std::string_view action) {
  for (const std::string_view a : kAnyProgram)
    if (a == action && a != "controller") return true;
  return false;
}

std::string joined(std::initializer_list<std::string_view> where) {
  std::string out;
  for (const std::string_view w : where) {
    if (!out.empty()) out += ", ";
    if (w.starts_with("controller:")) out += "controller --kind " + std::string(w.substr(11));
    else if (w.starts_with("program:")) out += std::string(w.substr(8)) + " programs";
    else out += w;
  }
  return out;
}

}  // namespace

void check_stim_option_scope(const CLI::App& stim, const std::string& action, const std::string& kind,
                             const std::string& program_shape) {
  const bool controller = action == "controller";
  const std::string shape = is_program_action(action) ? action : controller ? program_shape : std::string();
  for (const scope& s : kScopes) {
    const CLI::Option* option = stim.get_option_no_throw(s.option);
    if (option == nullptr || option->count() == 0) continue;
    bool applies = false;
    for (const std::string_view w : s.where)
      applies = applies || w == action || (controller && w.starts_with("controller:") && w.substr(11) == kind) ||
                (!shape.empty() && w.starts_with("program:") && w.substr(8) == shape);
    if (applies) continue;
    std::string here = "stim " + action;
    for (const std::string_view w : s.where) {
      if (controller && w.starts_with("controller:")) here += " --kind " + kind;
      if (controller && w.starts_with("program:")) here += " --program " + program_shape;
      if (here != "stim " + action) break;
    }
    throw CLI::ValidationError(s.option, "applies to " + joined(s.where) + ", not to " + here);
  }
}

}  // namespace cortexloop::tools
