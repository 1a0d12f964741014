#pragma once
// The rows `cortexloop record` writes for one readout into its per-readout arrays (OUT/NAME.npy, one row a readout,
// in the precision it keeps: float32 for the readout's values), and that `cortexloop replay` compares the stored
// arrays with, bit for bit, for each replayed readout. One source for both: replay compared only readout_hash.npy,
// so a rates.npy altered after the recording replayed as "bit-identical" (an outside audit, 2026-12-07); comparing
// the arrays through a copy of the recorder's conversions would let the two drift apart.
//
// Each function calls row(file, row_shape, values) once for every array of that file name the readout has a row of,
// values a std::span<const T> of float, double or std::uint64_t (the file's dtype: io::npy_descr<T>()).
#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <tuple>
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
  // A readout without a population (a server always sends both: a damaged or foreign stream) gives NaN there; record
  // dereferenced the absent one and crashed, its recording left as .partial files (issue 9; 2026-12-07).
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  static const io::proto::PopulationReadout absent(nan, nan, nan, nan, 0);
  const io::proto::PopulationReadout* exc = r.exc() ? r.exc() : &absent;
  const io::proto::PopulationReadout* inh = r.inh() ? r.inh() : &absent;
  pair("rates.npy", exc->rate_hz(), inh->rate_hz());
  pair("mean_v.npy", exc->mean_v_mv(), inh->mean_v_mv());
  pair("mean_w.npy", exc->mean_w_pa(), inh->mean_w_pa());
  pair("stim.npy", exc->i_stim_pa(), inh->i_stim_pa());
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
  // One row of `file`: each element of the FlatBuffers vector `v` (none when it is absent) gives its K values
  // (values(element) returns them as std::array<double, K>), the row [n] for K = 1, else [n, K].
  auto per_element = [&](const char* file, const auto* v, auto values) {
    constexpr std::size_t k = std::tuple_size_v<decltype(values(v->Get(0)))>;
    const std::size_t n = v ? static_cast<std::size_t>(v->size()) : 0;
    scratch.clear();
    for (std::size_t i = 0; i < n; ++i)
      for (const double x : values(v->Get(static_cast<flatbuffers::uoffset_t>(i))))
        scratch.push_back(static_cast<float>(x));
    const std::span<const float> values_row(scratch);
    if constexpr (k == 1)
      row(file, row_shape{n}, values_row);
    else
      row(file, row_shape{n, k}, values_row);
  };
  using two = std::array<double, 2>;
  using three = std::array<double, 3>;
  const auto flag = [](bool b) { return b ? 1.0 : 0.0; };
  per_element("device_sensing.npy", d.sensing(), [](const auto* x) {
    return std::array<double, 6>{x->signal(), x->raw(), x->filtered(), x->rms(), x->envelope(), x->phase_rad()};
  });
  per_element("device_sensing_blanked.npy", d.sensing(),
              [&](const auto* x) { return std::array<double, 1>{flag(x->blanked())}; });
  per_element("device_channels.npy", d.channels(),
              [](const auto* x) { return three{x->mean_current(), x->peak_current(), x->charge()}; });
  per_element("device_channel_state.npy", d.channels(),
              [&](const auto* x) { return two{flag(x->active()), static_cast<double>(x->site_kind())}; });
  per_element("device_controllers.npy", d.controllers(),
              [](const auto* x) { return three{x->feature(), x->output(), x->error()}; });
  per_element("device_controller_state.npy", d.controllers(), [&](const auto* x) {
    return three{static_cast<double>(x->kind()), flag(x->saturated()), static_cast<double>(x->triggers())};
  });
  per_element("device_electrodes.npy", d.electrode_mean_ua(),
              [](float mean_uA) { return std::array<double, 1>{mean_uA}; });
  const float domain[2] = {static_cast<float>(d.ring_units_out_of_domain()), static_cast<float>(d.ring_max_mu_v_mv())};
  row("ring_domain.npy", row_shape{2}, std::span<const float>(domain));
}

}  // namespace cortexloop::tools
