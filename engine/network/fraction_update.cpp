#include "engine/network/fraction_update.hpp"

#include <algorithm>
#include <bit>

#include "engine/cells/adex_heun_lanes.hpp"
#include "engine/cpu/lanes16.hpp"
#include "engine/random/philox_lanes.hpp"
#include "engine/random/philox_normal.hpp"

// As in lanes16.hpp: the 64-byte vectors live in always-inlined code and local variables only.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace cortexloop::engine {

namespace {

using lanes::vf;
using lanes::vi;
using heun_lanes::cells16;
using heun_lanes::gain_table;
using heun_lanes::step_consts;

// Blocks of 64 cells whose normals are one philox_normals64; blocks of one cell type are stepped by loops that see
// only that type's constants (as partition::step_cells, to keep them in registers); the block across n_exc takes
// each lane's own type's constants, which gives every lane the same arithmetic as in a one-type block.
enum class kind { exc, inh, mixed };

// The constants of one pass, copied into locals by run(): a store through the state's float pointers could alias a
// float the compiler would otherwise have to reload (and re-broadcast) after every store; locals whose address never
// escapes cannot be aliased, so they stay in registers.
struct pass_consts {
  step_consts cell[2];    // with this update's stimulus
  float rest_mV[2];       // E_L: the spare lanes of a short block
  gain_table gain[2][2];  // [post][pre]
};

struct pass_counts {
  std::size_t n_spikes = 0;
  std::int64_t spikes_exc = 0, diverged = 0;
};

// Steps the 16 cells in x, the cells from `first`, and lists the spikes of the first `count` lanes.
template <bool kHeun, kind K, bool kAdapt>
[[gnu::always_inline]] inline void step_block(const pass_consts& c, std::uint32_t n_exc, std::uint32_t* ids,
                                              pass_counts& n, std::uint32_t first, std::uint32_t count,
                                              cells16& x) noexcept {
  heun_lanes::events16 e;
  if constexpr (K == kind::exc) {
    e = heun_lanes::step16<kHeun, true, gain_table, kAdapt>(c.cell[0], c.gain[0][0], c.gain[0][1], x);
  } else if constexpr (K == kind::inh) {
    e = heun_lanes::step16<kHeun, true, gain_table, kAdapt>(c.cell[1], c.gain[1][0], c.gain[1][1], x);
  } else if (first + lanes::kLanes <= n_exc) {
    e = heun_lanes::step16<kHeun, true, gain_table, kAdapt>(c.cell[0], c.gain[0][0], c.gain[0][1], x);
  } else if (first >= n_exc) {
    e = heun_lanes::step16<kHeun, true, gain_table, kAdapt>(c.cell[1], c.gain[1][0], c.gain[1][1], x);
  } else {  // the block that straddles the populations
    const lanes::mask exc_lane = lanes::below(reinterpret_cast<lanes::vu>(lanes::iota()) + first, lanes::vu{} + n_exc);
    const step_consts lane_c = step_consts::select(exc_lane, c.cell[0], c.cell[1]);
    const heun_lanes::gain_select gain_e{c.gain[0][0], c.gain[1][0], exc_lane};
    const heun_lanes::gain_select gain_i{c.gain[0][1], c.gain[1][1], exc_lane};
    e = heun_lanes::step16<kHeun, true, heun_lanes::gain_select, kAdapt>(lane_c, gain_e, gain_i, x);
  }
  const std::uint32_t valid = count == lanes::kLanes ? 0xFFFFu : (1u << count) - 1u;
  n.diverged += std::popcount(lanes::bits(e.diverged) & valid);
  for (std::uint32_t spiked = lanes::bits(e.spike) & valid; spiked != 0; spiked &= spiked - 1) {  // ~0.1% of cells
    const std::uint32_t id = first + static_cast<std::uint32_t>(std::countr_zero(spiked));
    ids[n.n_spikes++] = id;
    n.spikes_exc += id < n_exc;
  }
}

// The last count < 16 cells, through 16-lane buffers whose spare lanes hold a resting cell (lanes::load_part,
// store_part; discarded). A function of its own, so that the whole blocks' state is never addressed lane by lane (x
// would then live on the stack: five stores and loads more per block).
template <bool kHeun, kind K, bool kAdapt>
[[gnu::noinline]] void short_block(const pass_consts& c, std::uint32_t n_exc, std::uint32_t count,
                                   const fraction_cells& io, std::uint32_t* ids, pass_counts& n, std::uint32_t first,
                                   vf normal) noexcept {
  using lanes::load_part;
  using lanes::store_part;
  using lanes::vu16;
  const float rest_mV = c.rest_mV[first < n_exc ? 0 : 1];
  cells16 x{load_part<vf>(io.v_mV + first, count, rest_mV),
            kAdapt ? load_part<vf>(io.w_pA + first, count, 0.0f) : vf{},
            load_part<vf>(io.s_exc + first, count, 0.0f),
            load_part<vf>(io.s_inh + first, count, 0.0f),
            normal,
            load_part<vi>(io.ref_left + first, count, std::int32_t{0}),
            __builtin_convertvector(load_part<vu16>(io.count_exc + first, count, std::uint16_t{0}), vi),
            __builtin_convertvector(load_part<vu16>(io.count_inh + first, count, std::uint16_t{0}), vi)};
  std::fill_n(io.count_exc + first, count, std::uint16_t{0});
  std::fill_n(io.count_inh + first, count, std::uint16_t{0});
  step_block<kHeun, K, kAdapt>(c, n_exc, ids, n, first, count, x);
  store_part(io.v_mV + first, count, x.v);
  if constexpr (kAdapt) store_part(io.w_pA + first, count, x.w);
  store_part(io.s_exc + first, count, x.se);
  store_part(io.s_inh + first, count, x.si);
  store_part(io.ref_left + first, count, x.ref);
}

// Steps the 16 cells from `first` (fewer at the end of the range: short_block) with their normals, and lists their
// spikes.
template <bool kHeun, kind K, bool kAdapt>
[[gnu::always_inline]] inline void block(const pass_consts& c, std::uint32_t n_exc, std::uint32_t end,
                                         const fraction_cells& io, std::uint32_t* ids, pass_counts& n,
                                         std::uint32_t first, vf normal) noexcept {
  if (end - first < lanes::kLanes) [[unlikely]] {
    short_block<kHeun, K, kAdapt>(c, n_exc, end - first, io, ids, n, first, normal);
    return;
  }
  cells16 x{lanes::load<vf>(io.v_mV + first),  kAdapt ? lanes::load<vf>(io.w_pA + first) : vf{},
            lanes::load<vf>(io.s_exc + first), lanes::load<vf>(io.s_inh + first),
            normal,                            lanes::load<vi>(io.ref_left + first),
            __builtin_convertvector(lanes::load<lanes::vu16>(io.count_exc + first), vi),
            __builtin_convertvector(lanes::load<lanes::vu16>(io.count_inh + first), vi)};
  lanes::store(io.count_exc + first, lanes::vu16{});
  lanes::store(io.count_inh + first, lanes::vu16{});
  step_block<kHeun, K, kAdapt>(c, n_exc, ids, n, first, lanes::kLanes, x);
  lanes::store(io.v_mV + first, x.v);
  if constexpr (kAdapt) lanes::store(io.w_pA + first, x.w);
  lanes::store(io.s_exc + first, x.se);
  lanes::store(io.s_inh + first, x.si);
  lanes::store(io.ref_left + first, x.ref);
}

// Cells [from, to), from a multiple of 64, 64 at a time: their normals, then four blocks of 16.
template <bool kHeun, kind K, bool kAdapt>
void run(const pass_consts& consts, const philox_round_keys& keys_in, std::uint64_t step, std::uint32_t n_exc,
         std::uint32_t from, std::uint32_t to, std::uint32_t end, const fraction_cells& io_in,
         update_out& out) noexcept {
  const pass_consts c = consts;  // locals: see pass_consts
  const philox_round_keys keys = keys_in;
  const fraction_cells io = io_in;
  std::uint32_t* const ids = out.ids;
  pass_counts n{out.n_spikes, out.spikes_exc, out.diverged};
  const auto step_lo = static_cast<std::uint32_t>(step), step_hi = static_cast<std::uint32_t>(step >> 32);
  for (std::uint32_t first = from; first < to; first += 64) {
    vf normal[4];
    philox_normals64(keys, first / 4, step_lo, step_hi, static_cast<std::uint32_t>(kWhiteNoiseStream), normal);
    for (unsigned j = 0; j < 4 && first + 16 * j < end; ++j)
      block<kHeun, K, kAdapt>(c, n_exc, end, io, ids, n, first + 16 * j, normal[j]);
  }
  out.n_spikes = n.n_spikes;
  out.spikes_exc = n.spikes_exc;
  out.diverged = n.diverged;
}

// Runs run<kHeun, K, adapt> with the flag as a template argument.
template <bool kHeun, kind K, class... A>
void run_adapt(bool adapt, A&&... a) noexcept {
  if (adapt)
    run<kHeun, K, true>(a...);
  else
    run<kHeun, K, false>(a...);
}

template <bool kHeun>
void run_all(const pass_consts& c, const philox_round_keys& keys, std::uint64_t step, std::uint32_t n_exc,
             std::uint32_t begin, std::uint32_t end, const fraction_cells& io, update_out& out,
             const bool adapt[2]) noexcept {
  // 64-cell blocks below exc_only_end hold E cells only, those from inh_only_begin I cells only, the one between (if
  // n_exc is not a multiple of 64) both.
  const std::uint32_t exc_only_end = std::clamp(n_exc / 64 * 64, begin, end);
  const std::uint32_t inh_only_begin = std::clamp((n_exc + 63) / 64 * 64, begin, end);
  run_adapt<kHeun, kind::exc>(adapt[0], c, keys, step, n_exc, begin, exc_only_end, end, io, out);
  run_adapt<kHeun, kind::mixed>(adapt[0] || adapt[1], c, keys, step, n_exc, exc_only_end, inh_only_begin, end, io,
                                out);
  run_adapt<kHeun, kind::inh>(adapt[1], c, keys, step, n_exc, inh_only_begin, end, end, io, out);
}

}  // namespace

void fraction_update_cells(const fraction_model& m, std::uint32_t n_exc, float i_stim_exc_pA, float i_stim_inh_pA,
                           std::int64_t step, std::uint32_t begin, std::uint32_t end, const fraction_cells& cells,
                           update_out& out) noexcept {
  const pass_consts c{{step_consts::from(m.cell[0], i_stim_exc_pA), step_consts::from(m.cell[1], i_stim_inh_pA)},
                      {m.cell[0].e_l, m.cell[1].e_l},
                      {{gain_table(m.jump[0][0].log_keep()), gain_table(m.jump[0][1].log_keep())},
                       {gain_table(m.jump[1][0].log_keep()), gain_table(m.jump[1][1].log_keep())}}};
  const philox_round_keys keys(m.noise_key);
  const auto k = static_cast<std::uint64_t>(step);
  out.n_spikes = 0;
  out.spikes_exc = out.diverged = 0;
  // A population without adaptation (a = b = 0; w starts at 0, engine/network/network.cpp) keeps w = 0 for ever:
  // its cells skip w's arithmetic, load and store, with the same V bit for bit (heun_lanes::step16).
  const bool adapt[2] = {m.cell[0].a_nS != 0.0f || m.cell[0].b != 0.0f, m.cell[1].a_nS != 0.0f || m.cell[1].b != 0.0f};
  if (m.cell[0].heun)
    run_all<true>(c, keys, k, n_exc, begin, end, cells, out, adapt);
  else
    run_all<false>(c, keys, k, n_exc, begin, end, cells, out, adapt);
}

}  // namespace cortexloop::engine
