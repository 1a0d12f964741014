#pragma once
// What each array file of a run's folder holds (shape, unit, columns), written by `simulate` and `record` into
// summary.json as "arrays", for the files they wrote: a reader of the folder need not look the units up in the docs
// (an outside check, 2026-12-05, found them only in docs/engine.md). n is the row count: a tick each (simulate) or a
// readout each (record).
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cortexloop::io {

inline const std::map<std::string, std::string>& array_descriptions() {
  static const std::map<std::string, std::string> k = {
      {"rates.npy", "[n, 2] Hz: exc, inh (0 for a population without cells)"},
      {"mean_v.npy", "[n, 2] mV: exc, inh (0 for a population without cells: no potential)"},
      {"mean_w.npy", "[n, 2] pA: exc, inh (the adaptation current; 0 for a population without cells)"},
      {"stim.npy", "[n, 2] pA: exc, inh (injected current per cell)"},
      {"lfp.npy", "[n] nA (the LFP proxy)"},
      {"ticks.npy", "[n, 3]: epoch, tick, t_ms (ms)"},
      {"readout_hash.npy", "[n] uint64: FNV-1a 64 of each readout"},
      {"aln_rates.npy", "[n, 2] Hz: the ALN node's exc, inh"},
      {"aln_mean_v.npy", "[n, 2] mV: the ALN node's exc mean V, 0"},
      {"aln_mean_w.npy", "[n, 2] pA: the ALN node's exc adaptation current, 0"},
      {"out_of_table.npy", "[n, 2] counts: the ALN node's steps outside the cascade table, the ring's unit steps past an edge of its model (ALN: outside the cascade table; Zerlaut: mu_V below E_inh or above meanfield.exc/inh.max_mu_v_mV)"},
      {"ring_rates_exc.npy", "[n, ring units] Hz"},
      {"ring_rates_inh.npy", "[n, ring units] Hz"},
      {"vsdi.npy", "[n, ring units] % (depolarisation from rest, 0.8 exc + 0.2 inh)"},
      {"ring_stim.npy", "[n, ring units] pA: the stimulator's current into each unit's exc population (last step)"},
      {"ring_domain.npy", "[n, 2]: ring units with exc mu_V above device.ring_max_mu_v_mV (ALN: outside the table), max exc mu_V (mV)"},
      {"spikes.npy", "[spikes, 2]: t_ms (ms), neuron"},
      {"device_sensing.npy", "[n, sensing channels, 6]: signal, raw, filtered, rms, envelope (the signal's unit), "
                             "phase_rad (rad)"},
      {"device_sensing_blanked.npy", "[n, sensing channels]: 1 while the ADC value is held (blanking)"},
      {"device_channels.npy", "[n, 8, 3]: mean current, peak (the largest step mean), charge (uA, uA, nC at an "
                              "electrode; pA, pA, pA x ms per cell at a direct site)"},
      {"device_channel_state.npy", "[n, 8, 2]: active (0/1), site kind (0 population, 1 ring position, 2 electrode)"},
      {"device_controllers.npy", "[n, 4, 3]: feature (its signal's unit), output (its program's amplitude unit), "
                                 "error"},
      {"device_controller_state.npy", "[n, 4, 3]: kind (0 none .. 5 external), saturated (0/1), triggers"},
      {"device_electrodes.npy", "[n, electrodes] uA: each electrode's mean current"}};
  return k;
}

// {file: description} for the files of `written` that have one.
inline nlohmann::json arrays_json(const std::vector<std::string>& written) {
  nlohmann::json out = nlohmann::json::object();
  for (const std::string& f : written)
    if (const auto it = array_descriptions().find(f); it != array_descriptions().end()) out[f] = it->second;
  return out;
}

// An [aln] node alone (engine::aln_node_alone): rates.npy, mean_v.npy and mean_w.npy hold the node's, described as
// the node's (mean_v.npy's second column, described "exc, inh", is 0: a review); simulate and record alike.
inline void describe_aln_node_alone(nlohmann::json& arrays) {
  for (const char* name : {"rates.npy", "mean_v.npy", "mean_w.npy"})
    if (arrays.contains(name)) arrays[name] = array_descriptions().at(std::string("aln_") + name);
  if (arrays.contains("stim.npy")) arrays["stim.npy"] = "[n, 2] pA: the current into the ALN node's exc, inh (its stimulus)";
}

}  // namespace cortexloop::io
