// What the server adds around an engine tick: is it negligible next to the tick itself (~300 us for the
// 10k network)? Encoding a readout and decoding+validating a command on the I/O thread, pushing and popping
// a readout record through the SPSC queue, and the stimulator's per-step current with all 8 channels busy.
#include <benchmark/benchmark.h>

#include <memory>
#include <span>
#include <vector>

#include "firmware_sim/stimulator.hpp"
#include "io/protocol/codec.hpp"
#include "io/runtime/realtime_loop.hpp"

using namespace cortexloop;

static void BM_encode_readout(benchmark::State& state) {
  flatbuffers::FlatBufferBuilder b(4096);
  io::readout_record r;
  r.n_ring_units = static_cast<std::uint32_t>(state.range(0));
  for (auto _ : state) {
    io::encode_readout(b, r, 1);
    benchmark::DoNotOptimize(b.GetBufferPointer());
  }
}
BENCHMARK(BM_encode_readout)->Arg(0)->Arg(100);

static void BM_decode_command(benchmark::State& state) {
  flatbuffers::FlatBufferBuilder b;
  io::command c;
  c.kind = io::command_kind::set_stimulation;
  c.program.shape = firmware_sim::waveform::pulse_train;
  c.program.amplitude = 100;
  c.program.frequency_Hz = 100;
  c.program.phase_width_us = 200;
  io::encode_command(b, c);
  const auto span = b.GetBufferSpan();
  const std::vector<std::uint8_t> bytes(span.begin(), span.end());
  for (auto _ : state) benchmark::DoNotOptimize(io::decode_command(bytes, {}));
}
BENCHMARK(BM_decode_command);

// One readout record (sizeof(io::readout_record): 18,552 bytes, whatever the ring's size) pushed and popped: two
// copies of the whole record. `out` escapes after each pop, so that the compiler cannot drop the second copy as dead
// stores (the first version of this benchmark let it: its 49 ns was one copy at best). Bytes counted: both copies.
static void BM_spsc_readout_push_pop(benchmark::State& state) {
  auto q = std::make_unique<io::realtime_queues>();
  auto r = std::make_unique<io::readout_record>(), out = std::make_unique<io::readout_record>();
  for (auto _ : state) {
    benchmark::DoNotOptimize(q->readouts.push(*r));
    benchmark::DoNotOptimize(q->readouts.pop(*out));
    benchmark::DoNotOptimize(*out);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 2 *
                          static_cast<std::int64_t>(sizeof(io::readout_record)));
}
BENCHMARK(BM_spsc_readout_push_pop);

static void BM_stimulator_step_8_channels(benchmark::State& state) {
  firmware_sim::stimulator s(0.1, {});
  for (std::size_t ch = 0; ch < firmware_sim::stimulator::kChannels; ++ch) {
    firmware_sim::program p;
    p.shape = ch % 2 ? firmware_sim::waveform::sine : firmware_sim::waveform::pulse_train;
    p.amplitude = 10;
    p.frequency_Hz = 40;
    p.phase_width_us = 500;
    s.load(ch, {}, p, 0);
  }
  std::int64_t step = 0;
  for (auto _ : state) benchmark::DoNotOptimize(s.currents_pA(step++));
}
BENCHMARK(BM_stimulator_step_8_channels);

// Loading a program on a ring_position site of a 1024-unit ring (kMaxRingUnits), as the real-time thread does
// for every SetStimulation/SetPrograms record and every responsive/phase-locked trigger. Arg 0: the profile
// computed by load() (1024 exp: what the real-time thread did before issue 9's defect 10); arg 1: the profile
// given, computed by the I/O thread (a 4 kB copy: what it does now).
static void BM_stimulator_load_ring_site(benchmark::State& state) {
  firmware_sim::stimulator s(0.1, {.n_units = 1024, .length_mm = 36.0});
  firmware_sim::site site;
  site.kind = firmware_sim::site_kind::ring_position;
  site.position_mm = 18.0;
  std::vector<float> profile(1024);
  firmware_sim::ring_site_profile(site, s.ring(), profile);
  const std::span<const float> given = state.range(0) ? std::span<const float>(profile) : std::span<const float>();
  firmware_sim::program p;
  p.amplitude = 10;
  std::size_t ch = 0;
  for (auto _ : state) {
    site.position_mm = state.range(0) ? 18.0 : 18.0 + 1e-3 * static_cast<double>(ch);  // no caching possible
    s.load(ch, site, p, 0, given);
    ch = (ch + 1) % firmware_sim::stimulator::kChannels;
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_stimulator_load_ring_site)->Arg(0)->Arg(1);

// The I/O thread's side of it: verify + validate a ring_position SetStimulation and compute its profile
// (1024 units).
static void BM_decode_ring_site_command(benchmark::State& state) {
  flatbuffers::FlatBufferBuilder b;
  io::command c;
  c.kind = io::command_kind::set_stimulation;
  c.site.kind = firmware_sim::site_kind::ring_position;
  c.site.position_mm = 18.0;
  c.program.amplitude = 10;
  io::encode_command(b, c);
  const auto span = b.GetBufferSpan();
  const std::vector<std::uint8_t> bytes(span.begin(), span.end());
  io::decode_limits limits;
  limits.layout.ring = {.n_units = 1024, .length_mm = 36.0};
  if (!io::decode_command(bytes, limits).ok) state.SkipWithError("refused");
  for (auto _ : state) benchmark::DoNotOptimize(io::decode_command(bytes, limits));
}
BENCHMARK(BM_decode_ring_site_command);

BENCHMARK_MAIN();
