#include "tools/stim_option_scope.hpp"

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace cortexloop::tools {

namespace {

// Where an option applies: an action ("dc", "clear", ...), "controller:<kind>", or "program:<shape>" (the shape
// of a program: the action's own for dc/sine/pulses/noise, --program's for a controller). As the options' --help
// says ("sine, pulses: ...", "pi_clamp: ...").
struct scope {
  const char* option;
  std::initializer_list<std::string_view> where;
};

// A controller's output program and site: every kind but External, which drives its channel by its own commands and
// loads nothing (docs/device.md, "Controllers"); its amplitude only where the controller does not set it itself
// (a PI clamp's output and an open loop's schedule do).
#define CL_PROGRAM_ACTIONS "dc", "sine", "pulses", "noise"
#define CL_LOADING_KINDS "controller:open_loop", "controller:responsive", "controller:pi_clamp", "controller:phase_locked"
const scope kScopes[] = {
    {"--channel", {CL_PROGRAM_ACTIONS, "controller", "clear"}},
    {"--all", {"clear", "clear-controller"}},
    {"--population", {CL_PROGRAM_ACTIONS, CL_LOADING_KINDS}},
    {"--ring-position", {CL_PROGRAM_ACTIONS, CL_LOADING_KINDS}},
    {"--width", {CL_PROGRAM_ACTIONS, CL_LOADING_KINDS}},
    {"--electrode", {CL_PROGRAM_ACTIONS, CL_LOADING_KINDS}},
    {"--amplitude", {CL_PROGRAM_ACTIONS, "controller:responsive", "controller:phase_locked"}},
    {"--delay", {CL_PROGRAM_ACTIONS, CL_LOADING_KINDS}},
    {"--duration", {CL_PROGRAM_ACTIONS, CL_LOADING_KINDS}},
    {"--start-tick", {CL_PROGRAM_ACTIONS, "controller"}},
    {"--offset", {"program:dc", "program:sine", "program:noise"}},
    {"--frequency", {"program:sine", "program:pulses"}},
    {"--phase", {"program:sine"}},
    {"--ramp-up", {"program:dc", "program:sine", "program:noise"}},
    {"--ramp-down", {"program:dc", "program:sine", "program:noise"}},
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
    {"--program", {CL_LOADING_KINDS}},
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
#undef CL_PROGRAM_ACTIONS
#undef CL_LOADING_KINDS

bool is_program_action(std::string_view action) {
  return action == "dc" || action == "sine" || action == "pulses" || action == "noise";
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

// The help's short form: actions and program shapes by name ("sine" is `stim sine` and a controller's --program
// sine), controller kinds by kind, and the programs' and the loading kinds' whole groups by one phrase.
std::string help_label(std::initializer_list<std::string_view> where) {
  const auto has_all = [&](std::initializer_list<std::string_view> group) {
    for (const std::string_view g : group)
      if (std::find(where.begin(), where.end(), g) == where.end()) return false;
    return true;
  };
  const bool programs = has_all({"dc", "sine", "pulses", "noise"});
  const bool loading = has_all({"controller:open_loop", "controller:responsive", "controller:pi_clamp",
                                "controller:phase_locked"});
  std::vector<std::string_view> labels;  // whole labels, each once ("controller" is not in "clear-controller")
  auto add = [&labels](std::string_view label) {
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
  };
  for (const std::string_view w : where) {
    if (programs && (w == "dc" || w == "sine" || w == "pulses" || w == "noise")) add("dc, sine, pulses, noise");
    else if (loading && w.starts_with("controller:")) add("a controller's program (every kind but external)");
    else if (w.starts_with("controller:") || w.starts_with("program:")) add(w.substr(w.find(':') + 1));
    else add(w);
  }
  std::string out;
  for (const std::string_view l : labels) out += (out.empty() ? "" : ", ") + std::string(l);
  return out;
}

}  // namespace

void describe_stim_option_scopes(CLI::App& stim) {
  for (const scope& s : kScopes) {
    CLI::Option* option = stim.get_option_no_throw(s.option);
    if (option == nullptr) throw std::logic_error(std::string("stim_option_scope: no option ") + s.option);
    option->description(help_label(s.where) + ": " + option->get_description());
  }
}

void check_stim_option_scope(const CLI::App& stim, const std::string& action, const std::string& kind,
                             const std::string& program_shape) {
  const bool controller = action == "controller";
  // An External controller has no program (nothing it loads): its waveform options apply to nothing.
  const std::string shape =
      is_program_action(action) ? action : controller && kind != "external" ? program_shape : std::string();
  for (const scope& s : kScopes) {
    const CLI::Option* option = stim.get_option_no_throw(s.option);
    // A name here that stim does not have is this table's typo: every stim command fails on it (the tests run many).
    if (option == nullptr) throw std::logic_error(std::string("stim_option_scope: no option ") + s.option);
    if (option->count() == 0) continue;
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
