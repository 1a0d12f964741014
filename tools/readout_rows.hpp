#pragma once
// The rows `cortexloop record` writes for one readout into its per-readout arrays (OUT/NAME.npy, one row a readout,
// in the precision it keeps: float32 for the readout's values), and that `cortexloop replay` compares the stored
// arrays with, bit for bit, for each replayed readout. One source for both: replay compared only readout_hash.npy,
// so a rates.npy altered after the recording replayed as "bit-identical" (an outside audit, 2026-12-07); comparing
// the arrays through a copy of the recorder's conversions would let the two drift apart.
//
// Each function calls row(file, row_shape, values) once for every array of that file name the readout has a row of,
// values a std::span<const T> of float, double or std::uint64_t (the file's dtype: io::npy_descr<T>()).
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "io/protocol/codec.hpp"
#include "io/protocol/session.hpp"

namespace cortexloop::tools {

using row_shape = std::initializer_list<std::size_t>;

// The arrays every readout has a row of: the populations' values, the LFP, the [aln] node's when the readout carries
// it, the out-of-table counts, (epoch, tick, t_ms) and the readout's hash.
template <class Row>
void readout_rows(const io::proto::Readout& r, Row&& row) {
  auto pair = [&row](const char* file, double x, double y) {
    const float v[2] = {static_cast<float>(x), static_cast<float>(y)};
    row(file, row_shape{2}, std::span<const float>(v));
  };
  pair("rates.npy", r.exc()->rate_hz(), r.inh()->rate_hz());
  pair("mean_v.npy", r.exc()->mean_v_mv(), r.inh()->mean_v_mv());
  pair("mean_w.npy", r.exc()->mean_w_pa(), r.inh()->mean_w_pa());
  pair("stim.npy", r.exc()->i_stim_pa(), r.inh()->i_stim_pa());
  const float lfp_nA = static_cast<float>(r.lfp_proxy_na());
  row("lfp.npy", row_shape{}, std::span<const float>(&lfp_nA, 1));
  const auto* a = r.aln();
  if (a) {
    pair("aln_rates.npy", a->rate_e_hz(), a->rate_i_hz());
    pair("aln_mean_v.npy", a->v_mean_e_mv(), 0.0);  // the table's V_mean is used for E only; I has none (simulate's)
    pair("aln_mean_w.npy", a->i_a_pa(), 0.0);
  }
  // Counts stay exact as float32 (a tick has at most steps x units of them, far below 2^24).
  pair("out_of_table.npy", static_cast<double>(a ? a->out_of_table() : 0), static_cast<double>(r.ring_out_of_table()));
  const double tick_row[3] = {static_cast<double>(r.epoch()), static_cast<double>(r.tick()), r.t_ms()};
  row("ticks.npy", row_shape{3}, std::span<const double>(tick_row));
  const std::uint64_t hash = io::readout_hash(r);
  row("readout_hash.npy", row_shape{}, std::span<const std::uint64_t>(&hash, 1));
}

// The ring's arrays, when the readout's ring has n_units units (its VSDi and excitatory rates; its stimulus and
// inhibitory rates when they have as many).
template <class Row>
void ring_rows(const io::proto::Readout& r, std::uint32_t n_units, Row&& row) {
  const auto* vsdi = r.vsdi_percent();
  const auto* exc = r.ring_rates_exc_hz();
  if (n_units == 0 || !vsdi || vsdi->size() != n_units || !exc || exc->size() != n_units) return;
  // FlatBuffers vectors of float are little-endian floats in place, as the file's rows.
  auto units = [&](const char* file, const flatbuffers::Vector<float>* v) {
    if (v && v->size() == n_units) row(file, row_shape{n_units}, std::span<const float>(v->data(), v->size()));
  };
  units("ring_rates_exc.npy", exc);
  units("vsdi.npy", vsdi);
  units("ring_stim.npy", r.ring_stim_pa());
  units("ring_rates_inh.npy", r.ring_rates_inh_hz());
}

// The device's arrays (one frame a readout that carries it), each row built in `scratch` (reused: no allocation a
// readout once it has grown).
template <class Row>
void device_rows(const io::proto::DeviceReadout& d, std::vector<float>& scratch, Row&& row) {
  const auto size = [](const auto* v) { return v ? static_cast<std::size_t>(v->size()) : std::size_t{0}; };
  const std::size_t n_sensing = size(d.sensing()), n_channels = size(d.channels()),
                    n_controllers = size(d.controllers()), n_electrodes = size(d.electrode_mean_ua());
  // Element i of a FlatBuffers vector (its index type is uoffset_t).
  const auto at = [](const auto* v, std::size_t i) { return v->Get(static_cast<flatbuffers::uoffset_t>(i)); };
  auto put = [&](const char* file, row_shape shape, auto fill) {
    scratch.clear();
    fill([&scratch](std::initializer_list<double> xs) {
      for (const double x : xs) scratch.push_back(static_cast<float>(x));
    });
    row(file, shape, std::span<const float>(scratch));
  };
  put("device_sensing.npy", {n_sensing, 6}, [&](auto f) {
    for (std::size_t i = 0; i < n_sensing; ++i) {
      const auto* x = at(d.sensing(), i);
      f({x->signal(), x->raw(), x->filtered(), x->rms(), x->envelope(), x->phase_rad()});
    }
  });
  put("device_sensing_blanked.npy", {n_sensing}, [&](auto f) {
    for (std::size_t i = 0; i < n_sensing; ++i)
      f({at(d.sensing(), i)->blanked() ? 1.0 : 0.0});
  });
  put("device_channels.npy", {n_channels, 3}, [&](auto f) {
    for (std::size_t i = 0; i < n_channels; ++i) {
      const auto* x = at(d.channels(), i);
      f({x->mean_current(), x->peak_current(), x->charge()});
    }
  });
  put("device_channel_state.npy", {n_channels, 2}, [&](auto f) {
    for (std::size_t i = 0; i < n_channels; ++i) {
      const auto* x = at(d.channels(), i);
      f({x->active() ? 1.0 : 0.0, static_cast<double>(x->site_kind())});
    }
  });
  put("device_controllers.npy", {n_controllers, 3}, [&](auto f) {
    for (std::size_t i = 0; i < n_controllers; ++i) {
      const auto* x = at(d.controllers(), i);
      f({x->feature(), x->output(), x->error()});
    }
  });
  put("device_controller_state.npy", {n_controllers, 3}, [&](auto f) {
    for (std::size_t i = 0; i < n_controllers; ++i) {
      const auto* x = at(d.controllers(), i);
      f({static_cast<double>(x->kind()), x->saturated() ? 1.0 : 0.0, static_cast<double>(x->triggers())});
    }
  });
  put("device_electrodes.npy", {n_electrodes}, [&](auto f) {
    for (std::size_t i = 0; i < n_electrodes; ++i) f({at(d.electrode_mean_ua(), i)});
  });
  put("ring_domain.npy", {2}, [&](auto f) {
    f({static_cast<double>(d.ring_units_out_of_domain()), d.ring_max_mu_v_mv()});
  });
}

}  // namespace cortexloop::tools
