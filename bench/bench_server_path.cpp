// What the server adds around an engine tick: is it negligible next to the tick itself (~300 us for the
// 10k network)? Encoding a readout and decoding+validating a command on the I/O thread, pushing and popping
// a readout record through the SPSC queue, and the stimulator's per-step current with all 8 channels busy.
#include <benchmark/benchmark.h>

#include <memory>

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

static void BM_spsc_readout_push_pop(benchmark::State& state) {
  auto q = std::make_unique<io::realtime_queues>();
  io::readout_record r, out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(q->readouts.push(r));
    benchmark::DoNotOptimize(q->readouts.pop(out));
  }
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

BENCHMARK_MAIN();
