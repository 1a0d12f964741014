#pragma once
// One partition of the network: a contiguous range of cells [begin, end), whose state only its worker writes, the
// synapses that arrive at its cells (engine/synapses/connectivity.hpp), and its slot of the per-step spike exchange.
// A step has two parts (engine/network/network.cpp):
//   update  : drive events, integrate/threshold/reset its cells, list its spikes (ascending) in its slot;
//   deliver : read every partition's slot, in partition order, and add each spike to its own targets.
// Every target thus receives a step's spikes in ascending source order whatever the partitioning, and its float
// conductance sums are bit-identical for any number of partitions. The network runs deliver(k) and update(k + 1)
// in one phase (one barrier per step): the slots are double-buffered, so update(k + 1) lists its spikes in one
// buffer while the other partitions still read step k's from the other.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/cells/adex.hpp"
#include "engine/inputs/drive.hpp"
#include "engine/network/fraction_network.hpp"
#include "engine/synapses/connectivity.hpp"
#include "engine/synapses/gap_rows.hpp"
#include "engine/synapses/spike_ring.hpp"

namespace cortexloop::engine {

struct hh_model;  // engine/network/hh_update.hpp

// Partition boundaries are multiples of this many cells: whole Philox groups (engine/random/philox.hpp), whole SIMD
// blocks, and whole cache lines of every state array (no false sharing between workers).
inline constexpr std::uint32_t kPartitionAlign = 128;

// What every partition reads and no one writes during a step.
struct network_model {
  std::uint32_t n = 0, n_exc = 0;
  adex_derived exc{}, inh{};
  synapse_derived syn{};
  float q_exc_nS = 0, q_inh_nS = 0;
  // Conductance network: the delays of spikes from E and from I, in steps (network_params::delay_exc_ms); with
  // both 0 the step's spikes are delivered as they are, without the ring.
  std::uint32_t delay_steps[2] = {0, 0};
  // Conductance network: the white-noise current per unit normal draw, sigma C / sqrt(dt) (pA; so that dt/C of it is
  // sigma sqrt(dt), the Euler-Maruyama increment of V), of E and of I; both 0: no draws. Key of the draws.
  float noise_pA[2] = {0.0f, 0.0f};
  philox_key noise_key{};
  const poisson_drive* drive = nullptr;
  const poisson_drive* afferent = nullptr;  // onto the excitatory cells; skipped at 0 Hz
  // network.synapse_model = "fraction": the Cakan & Obermayer 2020 cells and synapses replace the conductance
  // kernel and the drive (engine/network/fraction_network.hpp); null for the conductance network.
  const fraction_model* fraction = nullptr;
  // network.cell_model = "hh": Carlu et al. 2020's Hodgkin-Huxley cells replace the AdEx kernel
  // (engine/network/hh_update.hpp); synapses, drive and delays stay the conductance network's. Null for AdEx.
  const hh_model* hh = nullptr;
};

// The network's state arrays (structure of arrays over all N cells); a partition writes only its range.
struct network_state {
  std::vector<float> v_mV, w_pA, g_exc_nS, g_inh_nS;
  std::vector<std::int32_t> ref_left;
  // The exchange, two buffers (steps alternate between them): partition [b, e) lists its spikes from
  // spike_ids[buffer][b].
  std::vector<std::uint32_t> spike_ids[2];
  std::vector<float> s_exc, s_inh;       // fraction network only: synaptic fractions from E and from I
  std::vector<float> hh_m, hh_h, hh_n, hh_p;  // HH cells only: the gates (ref_left holds their refractory flag)
};

// The inputs of one step, the same for every partition.
struct step_inputs {
  std::int64_t step_index;
  float i_stim_exc_pA, i_stim_inh_pA;
};

class partition {
 public:
  explicit partition(incoming_synapses synapses);
  // A partition [begin, end) whose rows were built as gaps (engine/synapses/gap_rows.hpp: rows.word_bytes 1 or 2 for
  // the conductance network, byte rows split at n_exc for the fraction network), which host_* then keeps.
  partition(std::uint32_t begin, std::uint32_t end, gap_rows rows);
  // Fraction network, once before stepping: builds the byte rows (unless built; n_exc: the first inhibitory cell),
  // sizes the spike ring (n: the network's cells) and the arrival counts.
  void host_fraction(const fraction_model& m, std::uint32_t n, std::uint32_t n_exc);
  // Conductance network, once before stepping: builds the 8- or 16-bit rows its deliver phase reads, whichever
  // suits the network's gaps (see row_form; unless it holds them already), and sizes the spike ring if m has delays.
  void host_conductance(const network_model& m);
  // Lists the step's spikes in spike_ids[buffer] (0 or 1).
  void update(const network_model& m, network_state& s, const step_inputs& in, unsigned buffer) noexcept;
  // Delivers the spikes that every partition listed in `buffer` in step step_index.
  void deliver(const network_model& m, network_state& s, std::span<const partition> all, unsigned buffer,
               std::int64_t step_index) noexcept;
  // The same from one ascending list of the step's spikes (across processes: the exchanged list).
  void deliver(const network_model& m, network_state& s, std::span<const std::uint32_t> spikes,
               std::int64_t step_index) noexcept;
  // Whether deliver keeps the recent steps' spikes in a ring (delays, or the fraction network): only then can they
  // be recorded ahead of their delivery (record, deliver_recorded).
  static bool keeps_recent_spikes(const network_model& m) noexcept {
    return m.fraction != nullptr || m.delay_steps[0] != 0 || m.delay_steps[1] != 0;
  }
  // Appends a piece of step k's spikes (ascending, after the pieces appended before; `first` starts the step's
  // record) to the ring the delays read. Across processes exchanging once per several steps
  // (network::set_exchange_steps), the network records each step's pieces when they arrive, before the step is
  // delivered; deliver_recorded then delivers without recording.
  void record(std::int64_t step_index, std::span<const std::uint32_t> spikes, bool first) noexcept;
  void deliver_recorded(const network_model& m, network_state& s, std::int64_t step_index) noexcept;

  std::uint32_t begin() const noexcept { return begin_; }
  std::uint32_t end() const noexcept { return end_; }
  // The spikes its update listed in `buffer` (ascending); other workers read them in the next phase, while this
  // partition's worker writes the other buffer.
  std::span<const std::uint32_t> spikes(const network_state& s, unsigned buffer) const noexcept {
    return {s.spike_ids[buffer].data() + begin_, out_[buffer].n_spikes};
  }
  // The last update's spikes and counts (read between phases).
  std::span<const std::uint32_t> spikes(const network_state& s) const noexcept { return spikes(s, last_); }
  std::int64_t spikes_exc() const noexcept { return out_[last_].spikes_exc; }
  std::int64_t spikes_inh() const noexcept {
    return static_cast<std::int64_t>(out_[last_].n_spikes) - out_[last_].spikes_exc;
  }
  std::int64_t diverged() const noexcept { return out_[last_].diverged; }
  std::uint64_t drive_events() const noexcept { return own_.drive_events; }
  // The synapses arriving at its cells (from the 32-bit table, or counted before it was freed).
  std::uint64_t n_synapses() const noexcept { return n_synapses_; }
  // Calls f(local target) for each of pre's targets in this partition, ascending, from the rows deliver reads.
  template <class F>
  void for_each_target(std::uint32_t pre, F f) const {
    switch (row_form_) {
      case row_form::gaps8: gaps8_.for_each(pre, 0, f); return;
      case row_form::gaps16: gaps16_.for_each(pre, 0, f); return;
      case row_form::targets32: break;
    }
    for (const std::uint32_t local : synapses_.local_targets_of(pre)) f(local);
  }
  // The rows the conductance network's deliver reads: the 32-bit targets (engine/synapses/connectivity.hpp), or the
  // gaps between them in 8 or 16 bits (engine/synapses/delta_rows.hpp), as host_conductance chose; with gaps, the
  // 32-bit table is freed.
  enum class row_form : std::uint8_t { targets32, gaps8, gaps16 };
  row_form conductance_rows() const noexcept { return row_form_; }
  // The bytes of the row form deliver reads (for the conductance network; the 32-bit table's otherwise).
  std::size_t conductance_row_bytes() const noexcept;

 private:
  void step_cells(const network_model& m, network_state& s, const step_inputs& in, unsigned buffer) noexcept;
  void deliver_conductance(const network_model& m, network_state& s, std::span<const std::uint32_t> spikes) noexcept;

  std::uint32_t begin_, end_;
  incoming_synapses synapses_;  // empty once the rows are held as gaps (conductance network) or bytes (fraction)
  gap_rows built_;              // rows built as gaps at start-up, until host_* takes them
  std::uint64_t n_synapses_ = 0;
  std::vector<std::uint16_t> draws_;  // one chunk's Philox draws of the afferent input, or of the HH cells' drive
  delta_rows fraction_rows_;    // fraction network: the synapses' rows, one byte per target
  // Conductance network: synapses_'s rows as gaps of one byte (gaps8_) or 16 bits (gaps16_) per synapse
  // (engine/synapses/delta_rows.hpp, all in its part 0), which deliver_conductance reads instead: the rows are the
  // step's main memory traffic, and the same targets in the same order keep every conductance sum bit-identical
  // (bench/README.md, "One thread, fourth pass" and "100k, fifth pass"). synapses_ is then freed.
  delta_rows gaps8_;
  delta_rows16 gaps16_;
  row_form row_form_ = row_form::targets32;
  spike_ring recent_spikes_;    // the last steps' spikes, for the delays (fraction network; conductance with delays)
  std::vector<std::uint16_t> arrivals_;  // fraction network: arrivals for the next update, [from E | from I] per local cell
  // Per buffer, written by this partition's worker in update and read by all in the next phase: each on its own
  // cache line, so the reads of one do not contend with the writes of the other.
  struct alignas(64) outputs {
    std::size_t n_spikes = 0;
    std::int64_t spikes_exc = 0, diverged = 0;
  } out_[2];
  struct alignas(64) own_counts {  // written by this partition's worker only, read between steps
    std::uint64_t drive_events = 0;
  } own_;
  unsigned last_ = 0;  // the buffer of the last update (written by the owner, read between phases)
};

}  // namespace cortexloop::engine
