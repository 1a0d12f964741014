// The protocol codec: every command survives an encode/decode round trip, and every kind of bad input
// (random bytes, truncation, wrong identifier, unknown union types, out-of-range values, wrong mode,
// unknown parameters) is refused with the right code and a reason that names what is wrong.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "engine/network/steps_network.hpp"
#include "io/protocol/codec.hpp"
#include "io/protocol/format_number.hpp"
#include "io/protocol/safe_text.hpp"
#include "test_support.hpp"

using namespace cortexloop;
using io::command;
using io::command_kind;
using io::error_code;

namespace {

std::vector<std::uint8_t> bytes_of(const command& c) {
  flatbuffers::FlatBufferBuilder b;
  io::encode_command(b, c);
  const auto span = b.GetBufferSpan();
  return {span.begin(), span.end()};
}

io::decoded_command decode(const std::vector<std::uint8_t>& bytes, io::run_mode mode = io::run_mode::realtime) {
  io::decode_limits limits;
  limits.mode = mode;
  limits.layout.ring = {100, 36.0};
  return io::decode_command(bytes, limits);
}

// A SetController of an open-loop controller (5 pA from its start), the simplest valid one.
command open_loop_command() {
  command k;
  k.kind = command_kind::set_controller;
  k.controller.kind = firmware_sim::controller_kind::open_loop;
  k.controller.output_program.amplitude = 5.0;
  k.controller.n_schedule = 1;
  k.controller.schedule[0] = {0, 5.0};
  return k;
}

command stim_command() {
  command c;
  c.kind = command_kind::set_stimulation;
  c.seq = 42;
  c.client_send_ns = 123456789;
  c.channel = 3;
  c.site.population = engine::population::inh;
  c.program.shape = firmware_sim::waveform::pulse_train;
  c.program.amplitude = 150.0;
  c.program.frequency_Hz = 40.0;
  c.program.phase_width_us = 500;
  c.program.interphase_gap_us = 30;
  c.program.biphasic = true;
  c.program.delay_us = 10'000;
  c.program.duration_us = 1'000'000;
  c.start_tick = 17;
  return c;
}

// A Command whose body type is a number the schema does not define, built by hand.
std::vector<std::uint8_t> command_with_body_type(std::uint8_t type) {
  flatbuffers::FlatBufferBuilder b;
  const auto body = io::proto::CreatePing(b);
  const auto cmd = io::proto::CreateCommand(b, 7, 0, static_cast<io::proto::CommandBody>(type), body.Union());
  b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
  const auto span = b.GetBufferSpan();
  return {span.begin(), span.end()};
}

}  // namespace

TEST_CASE("a stimulation command round-trips with every field", "[codec]") {
  const command in = stim_command();
  const io::decoded_command d = decode(bytes_of(in));
  REQUIRE(d.ok);
  CHECK(d.cmd.kind == command_kind::set_stimulation);
  CHECK(d.cmd.seq == 42);
  CHECK(d.cmd.client_send_ns == 123456789);
  CHECK(d.cmd.channel == 3);
  CHECK(d.cmd.program.shape == firmware_sim::waveform::pulse_train);
  CHECK(d.cmd.site.population == engine::population::inh);
  CHECK(d.cmd.program.amplitude == 150.0);
  CHECK(d.cmd.program.frequency_Hz == 40.0);
  CHECK(d.cmd.program.phase_width_us == 500);
  CHECK(d.cmd.program.interphase_gap_us == 30);
  CHECK(d.cmd.program.biphasic);
  CHECK(d.cmd.program.delay_us == 10'000);
  CHECK(d.cmd.program.duration_us == 1'000'000);
  CHECK(d.cmd.start_tick == 17);
}

TEST_CASE("every command kind round-trips", "[codec]") {
  for (const command_kind kind : {command_kind::clear_stimulation, command_kind::set_drive_rate, command_kind::pause,
                                  command_kind::resume, command_kind::reset, command_kind::step,
                                  command_kind::set_parameter, command_kind::ping, command_kind::get_info}) {
    command c;
    c.kind = kind;
    c.seq = 9;
    c.value = kind == command_kind::set_parameter ? 1.0 : 6.5;
    c.parameter = io::parameter_id::stream_spikes;
    c.seed = 77;
    c.ticks = 250;
    c.channel = 2;
    const io::decoded_command d = decode(bytes_of(c), io::run_mode::stepped);
    INFO(io::to_string(kind) << ": " << d.reason);
    REQUIRE(d.ok);
    CHECK(d.cmd.kind == kind);
    CHECK(d.cmd.seq == 9);
    if (kind == command_kind::set_drive_rate) CHECK(d.cmd.value == 6.5);
    if (kind == command_kind::reset) CHECK(d.cmd.seed == 77);
    if (kind == command_kind::step) CHECK(d.cmd.ticks == 250);
    if (kind == command_kind::set_parameter) CHECK(d.cmd.parameter == io::parameter_id::stream_spikes);
  }
}

TEST_CASE("random bytes, truncated buffers and a wrong identifier are refused as Malformed", "[codec][malformed]") {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> byte(0, 255), length(0, 300);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<std::uint8_t> junk(static_cast<std::size_t>(length(rng)));
    for (auto& x : junk) x = static_cast<std::uint8_t>(byte(rng));
    if (junk.size() >= 8 && trial % 2 == 0) std::copy_n("CXL1", 4, junk.begin() + 4);  // get past the identifier
    const io::decoded_command d = decode(junk);
    REQUIRE_FALSE(d.ok);
    CHECK((d.code == error_code::malformed || d.code == error_code::unknown_command ||
           d.code == error_code::out_of_range));
    CHECK_FALSE(d.reason.empty());
  }
  const std::vector<std::uint8_t> good = bytes_of(stim_command());
  for (std::size_t n = 0; n < good.size(); ++n) {
    const std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    const io::decoded_command d = decode(cut);
    INFO("truncated to " << n << " of " << good.size() << " bytes");
    CHECK_FALSE(d.ok);
  }
  std::vector<std::uint8_t> wrong_id = good;
  wrong_id[4] = 'X';
  const io::decoded_command d = decode(wrong_id);
  CHECK(d.code == error_code::malformed);
  CHECK_THAT(d.reason, Catch::Contains("file identifier"));
}

// Reference: the FlatBuffers layout (root offset, then the 4-byte file identifier) and the verifier's limits
// (verify_message: depth 16, 4096 tables); each refusal says which of the three it is, not "identifier, truncated
// or corrupt" for all.
TEST_CASE("a Malformed reason says what is wrong: too short, which identifier, or what failed to verify",
          "[codec][malformed]") {
  CHECK_THAT(decode({}).reason, Catch::Contains("(0 bytes): shorter than a FlatBuffer's root offset"));

  flatbuffers::FlatBufferBuilder b;  // a valid Message finished without the identifier
  const auto cmd = io::proto::CreateCommand(b, 3, 0, io::proto::CommandBody::Ping, io::proto::CreatePing(b).Union());
  b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()));
  auto span = b.GetBufferSpan();
  std::vector<std::uint8_t> bytes(span.begin(), span.end());
  io::decoded_command d = decode(bytes);
  CHECK(d.code == error_code::malformed);
  CHECK_THAT(d.reason, Catch::Contains("expected \"CXL1\""));
  bytes[4] = 'A', bytes[5] = 'B', bytes[6] = 0x01, bytes[7] = 0xff;
  CHECK_THAT(decode(bytes).reason, Catch::Contains("file identifier (bytes 4-7) \"AB\\x01\\xff\""));

  // A well-formed SetPrograms of 3000 ChannelPrograms (6000 tables, 36 kB) is over the verifier's table limit.
  flatbuffers::FlatBufferBuilder big;
  const auto program = io::proto::CreateProgram(big);
  std::vector<flatbuffers::Offset<io::proto::ChannelProgram>> many;
  for (int i = 0; i < 3000; ++i) many.push_back(io::proto::CreateChannelProgram(big, 0, 0, program));
  const auto body = io::proto::CreateSetPrograms(big, big.CreateVector(many), -1);
  const auto big_cmd = io::proto::CreateCommand(big, 4, 0, io::proto::CommandBody::SetPrograms, body.Union());
  big.Finish(io::proto::CreateMessage(big, io::proto::Payload::Command, big_cmd.Union()), io::proto::MessageIdentifier());
  span = big.GetBufferSpan();
  REQUIRE(span.size() < 40 * 1024);  // under the frame limit: the verifier, not libzmq, refuses it
  d = decode({span.begin(), span.end()});
  CHECK(d.code == error_code::malformed);
  CHECK_THAT(d.reason, Catch::Contains("does not verify") && Catch::Contains("4096 tables"));

  const std::vector<std::uint8_t> good = bytes_of(stim_command());
  CHECK_THAT(decode({good.begin(), good.end() - 8}).reason, Catch::Contains("does not verify: truncated or corrupt"));
}

// Topic "applied" republishes a command's bytes as sent: a Ping padded to 40 KiB, 8000 a second, made a recorder
// write 330 MB/s and lose readouts (an outside check, 2026-12-05). Reference: the FlatBuffers layout (a builder's
// buffer ends with its first object, padded to 4 bytes at most) and the schema-evolution rule of docs/protocol.md
// ("Compatibility": a field a server does not know is ignored): up to 256 bytes past what this schema's tables
// reach are a newer client's fields, more are refused. Breaks tried: the check in decode_command removed -> the
// 40000-byte case decodes; the check before the body dispatch (as first written) -> the unknown body and payload
// types below come back Malformed; no allowance (bytes past the end refused) -> the newer Reset is refused.
TEST_CASE("bytes past what a command's tables reach: a newer schema's few are ignored, padding is refused",
          "[codec][malformed]") {
  std::vector<std::uint8_t> padded = bytes_of(stim_command());
  const std::size_t size = padded.size();
  padded.resize(size + 40000, 0);
  io::decoded_command d = decode(padded);
  CHECK(d.code == error_code::malformed);
  // Appended, not "(" + ...: GCC 12 warns (-Wstringop-overflow, a false positive) on a literal + string&&.
  const std::string expected = std::to_string(size + 40000) + " bytes): 40000 bytes follow what its tables " +
                               "reach (byte " + std::to_string(size) + "), more than the 256 allowed";
  CHECK_THAT(d.reason, Catch::Contains(expected));
  padded.resize(size + 257);
  CHECK(decode(padded).code == error_code::malformed);
  padded.resize(size + 256);
  CHECK(decode(padded).ok);
  // A buffer that ends with a string of every length modulo 4 (its first object: the builder pads it to 4 bytes).
  for (const char* name : {"a", "ab", "abc", "abcd", "abcde"}) {
    flatbuffers::FlatBufferBuilder b;
    const auto body = io::proto::CreateSetParameterDirect(b, name, 1.0);
    const auto cmd = io::proto::CreateCommand(b, 5, 0, io::proto::CommandBody::SetParameter, body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    const io::decoded_command p = decode({span.begin(), span.end()});
    INFO(name);
    CHECK(p.code != error_code::malformed);  // an unknown parameter (UnknownParameter), not a malformed buffer
  }
  // A newer client's Reset with a second field (a long this schema lacks) built first: 8 bytes past the known end.
  {
    flatbuffers::FlatBufferBuilder b;
    const auto start = b.StartTable();
    b.AddElement<std::int64_t>(6, 123456789, 0);  // field 1: unknown here
    b.AddElement<std::uint64_t>(io::proto::Reset::VT_SEED, 5, 0);
    const flatbuffers::Offset<io::proto::Reset> reset(b.EndTable(start));
    const auto cmd = io::proto::CreateCommand(b, 6, 0, io::proto::CommandBody::Reset, reset.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    const io::decoded_command r = decode({span.begin(), span.end()}, io::run_mode::stepped);
    CHECK(r.ok);
    CHECK(r.cmd.seed == 5);
  }
  // An unknown body type with a body, and an unknown payload type with a table: UnknownCommand, as documented,
  // however far their tables reach.
  {
    flatbuffers::FlatBufferBuilder b;
    const auto body = io::proto::CreateSetParameterDirect(b, std::string(64, 'x').c_str(), 1.0);
    const auto cmd = io::proto::CreateCommand(b, 7, 0, static_cast<io::proto::CommandBody>(200), body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    CHECK(decode({span.begin(), span.end()}).code == error_code::unknown_command);
  }
  {
    flatbuffers::FlatBufferBuilder b;
    const auto table = io::proto::CreateSetParameterDirect(b, std::string(64, 'x').c_str(), 1.0);
    b.Finish(io::proto::CreateMessage(b, static_cast<io::proto::Payload>(77), table.Union()),
             io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    CHECK(decode({span.begin(), span.end()}).code == error_code::unknown_command);
  }
}

// The other way to make a cheap command large: samples on a waveform that ignores them (republished all the same).
// Break tried: the check in decode_program removed -> the sine program with samples is accepted.
TEST_CASE("samples are refused on every waveform but Arbitrary", "[codec]") {
  auto with_samples = [](io::proto::Waveform w) {
    flatbuffers::FlatBufferBuilder b;
    const std::vector<float> samples(1024, 0.5f);
    const auto program = io::proto::CreateProgramDirect(b, w, 10.0, 0.0, 10.0, 0.0, 0, 0, 100, 0, false, false, 0, 0,
                                                        0, 0, 0, &samples);
    const auto channel = io::proto::CreateChannelProgram(b, 0, 0, program);
    const auto body = io::proto::CreateSetPrograms(b, b.CreateVector(&channel, 1), -1);
    const auto cmd = io::proto::CreateCommand(b, 9, 0, io::proto::CommandBody::SetPrograms, body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    return decode({span.begin(), span.end()});
  };
  const io::decoded_command sine = with_samples(io::proto::Waveform::Sine);
  CHECK(sine.code == error_code::out_of_range);
  CHECK_THAT(sine.reason, Catch::Contains("program.samples (count) = 1024") &&
                              Catch::Contains("only an Arbitrary waveform (3) takes samples; this program's waveform is 1"));
  CHECK(with_samples(io::proto::Waveform::Dc).code == error_code::out_of_range);
  CHECK(with_samples(io::proto::Waveform::Arbitrary).ok);
}

TEST_CASE("unknown union types are refused as UnknownCommand", "[codec][malformed]") {
  const io::decoded_command d = decode(command_with_body_type(200));
  CHECK_FALSE(d.ok);
  CHECK(d.code == error_code::unknown_command);
  CHECK(d.seq == 7);
  CHECK_THAT(d.reason, Catch::Contains("200"));
  CHECK(decode(command_with_body_type(0)).code == error_code::unknown_command);

  // A Message that is not a Command (an Ack) is refused too.
  flatbuffers::FlatBufferBuilder b;
  io::encode_ack(b, {});
  const auto span = b.GetBufferSpan();
  const io::decoded_command not_command = decode({span.begin(), span.end()});
  CHECK(not_command.code == error_code::unknown_command);
  CHECK_THAT(not_command.reason, Catch::Contains("expected a Command"));

  // The Command payload type without its table: named as such, not "got payload type 4" (4 is Command). Break
  // tried: the Command-type branch removed -> the reason reads "expected a Command payload, got payload type 4".
  flatbuffers::FlatBufferBuilder e;
  io::proto::MessageBuilder m(e);
  m.add_payload_type(io::proto::Payload::Command);
  io::proto::FinishMessageBuffer(e, m.Finish());
  const auto empty = e.GetBufferSpan();
  const io::decoded_command no_table = decode({empty.begin(), empty.end()});
  CHECK(no_table.code == error_code::unknown_command);
  CHECK(no_table.reason == "Message with payload type Command has no Command table");
}

TEST_CASE("out-of-range values are refused with the field, the value and the range", "[codec][validation]") {
  command c = stim_command();
  c.program.amplitude = 1e6;
  io::decoded_command d = decode(bytes_of(c));
  CHECK(d.code == error_code::out_of_range);
  CHECK_THAT(d.reason, Catch::Contains("1e+06 pA > 1000 pA (max_direct_pA)"));
  CHECK(d.seq == 42);  // the ack can still name the command

  c = stim_command();
  c.program.amplitude = std::nan("");
  CHECK(decode(bytes_of(c)).code == error_code::out_of_range);

  c = stim_command();
  c.channel = 8;
  CHECK_THAT(decode(bytes_of(c)).reason, Catch::Contains("channel = 8"));

  c = stim_command();
  c.site.kind = firmware_sim::site_kind::ring_position;
  c.site.position_mm = -2;
  CHECK_THAT(decode(bytes_of(c)).reason, Catch::Contains("position_mm = -2"));
  // The site's float32 millimetres are quoted as the client wrote them, as the other float fields are (protocol.md):
  // width_mm 1e30 was quoted as 1.0000000150474662e+30 (an outside audit, 2026-12-06). Fails with the float widened
  // to double in decode_site (tried: "site.width_mm = 1.0000000150474662e+30").
  c.site.position_mm = 36.3;
  CHECK_THAT(decode(bytes_of(c)).reason, Catch::Contains("site.position_mm = 36.3: must be in [0, 36) mm"));
  c.site.position_mm = 1.0;
  c.site.width_mm = 1e30;
  CHECK_THAT(decode(bytes_of(c)).reason, Catch::Contains("site.width_mm = 1e+30: must be in (0, 36] mm"));

  command rate;
  rate.kind = command_kind::set_drive_rate;
  rate.value = -1;
  CHECK_THAT(decode(bytes_of(rate)).reason, Catch::Contains("rate_hz = -1"));
  rate.value = std::numeric_limits<double>::infinity();
  CHECK(decode(bytes_of(rate)).code == error_code::out_of_range);

  command step;
  step.kind = command_kind::step;
  step.ticks = 10'000'001;
  CHECK_THAT(decode(bytes_of(step), io::run_mode::stepped).reason, Catch::Contains("ticks = 10000001"));
  step.ticks = 0;  // cancels the remaining Step budget
  CHECK(decode(bytes_of(step), io::run_mode::stepped).ok);

  command every;
  every.kind = command_kind::set_parameter;
  every.parameter = io::parameter_id::stream_readout_every;
  every.value = 2.5;
  CHECK_THAT(decode(bytes_of(every)).reason, Catch::Contains("stream.readout_every = 2.5"));
}

// Reference: docs/protocol.md's command table, Reset `seed` [0, 2^63-1] (as simulation.seed). The Python client
// refuses a larger seed before sending, so only a raw FlatBuffer reaches the codec's check. Break tried: the check in
// decode_command's Reset case removed -> the seed 2^63 decodes ok.
TEST_CASE("a raw Reset with seed 2^63 is refused as OutOfRange naming the seed, 2^63 - 1 accepted",
          "[codec][validation]") {
  const auto reset_bytes = [](std::uint64_t seed) {
    flatbuffers::FlatBufferBuilder b;
    const auto body = io::proto::CreateReset(b, seed);
    const auto cmd = io::proto::CreateCommand(b, 9, 0, io::proto::CommandBody::Reset, body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    return std::vector<std::uint8_t>(span.begin(), span.end());
  };
  for (const std::uint64_t seed : {std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    const io::decoded_command d = decode(reset_bytes(seed), io::run_mode::stepped);
    INFO(d.reason);
    CHECK_FALSE(d.ok);
    CHECK(d.code == error_code::out_of_range);
    CHECK_THAT(d.reason, Catch::Contains("seed = " + std::to_string(seed)));
    CHECK(d.seq == 9);
  }
  const io::decoded_command last = decode(reset_bytes((std::uint64_t{1} << 63) - 1), io::run_mode::stepped);
  REQUIRE(last.ok);
  CHECK(last.cmd.seed == (std::uint64_t{1} << 63) - 1);
}

// Reference: the schema (io/protocol/schema/cortexloop.fbs): enum Population : byte { Exc = 0, Inh = 1 } and enum
// SiteKind { Population = 0, RingPosition = 1, Electrode = 2 }; a byte outside them (a raw FlatBuffer, or a newer
// schema's value) is refused as OutOfRange naming the field, not read as some population or kind. Break tried:
// decode_site's `pop > 1` as `pop > 2` -> population 2 accepted; `kind > 2` as `kind > 3` -> kind 3 is refused by
// the stimulator's validation behind it, in the device's words, not the schema's: the last CHECK fails.
TEST_CASE("a site's population or kind outside the schema's enum is refused as OutOfRange naming the field",
          "[codec][validation]") {
  const auto stim_bytes = [](int kind, int population) {
    flatbuffers::FlatBufferBuilder b;
    const auto site = io::proto::CreateSite(b, static_cast<io::proto::SiteKind>(kind),
                                            static_cast<io::proto::Population>(population), 0, 1.5, 0);
    const auto body = io::proto::CreateSetStimulation(b, 1, site, io::proto::Waveform::Dc, 10.0f, 0.0f, 0.0f, false,
                                                      0.0f, 0.0f);
    const auto cmd = io::proto::CreateCommand(b, 11, 0, io::proto::CommandBody::SetStimulation, body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    return std::vector<std::uint8_t>(span.begin(), span.end());
  };
  REQUIRE(decode(stim_bytes(0, 1)).ok);  // the last valid population
  for (const int population : {2, -1}) {
    const io::decoded_command d = decode(stim_bytes(0, population));
    INFO(d.reason);
    CHECK(d.code == error_code::out_of_range);
    CHECK_THAT(d.reason, Catch::Contains("site.population = " + std::to_string(population)));
  }
  for (const int kind : {3, -1}) {
    const io::decoded_command d = decode(stim_bytes(kind, 0));
    INFO(d.reason);
    CHECK(d.code == error_code::out_of_range);
    CHECK_THAT(d.reason, Catch::Contains("site.kind = " + std::to_string(kind)));
    // In the protocol's terms, the schema's names (the device's own check behind it words it in its own).
    CHECK_THAT(d.reason, Catch::Contains("Population (0), RingPosition (1) or Electrode (2)"));
  }
}

// Reference: docs/protocol.md's command table: `channel` 0-7 (SetStimulation, SetPrograms' ChannelProgram,
// ClearStimulation "also with all = true"), `slot` 0-3 (SetController, ClearController "also with all = true");
// a controller's output.channel is a stimulator channel too (firmware_sim::validate: [0, 8)). Each index-taking
// command at its last valid index is accepted with that index, one past it is refused (OutOfRange) naming the
// field, the value and the range.
// Break tried: decode_clear's `index < count` as `index <= count` -> ClearStimulation channel 8 and ClearController
// slot 4 accepted: fails at their refusals.
TEST_CASE("every index-taking command accepts channel 7 and slot 3 and refuses channel 8 and slot 4",
          "[codec][validation]") {
  const auto refused = [](const io::decoded_command& d, const std::string& text) {
    INFO(d.reason);
    CHECK_FALSE(d.ok);
    CHECK(d.code == error_code::out_of_range);
    CHECK_THAT(d.reason, Catch::Contains(text));
  };
  // ClearStimulation (channels [0, 7]) and ClearController (slots [0, 3]), with all = false and true.
  for (const bool all : {false, true})
    for (const auto& [kind, last, refusal] :
         {std::tuple{command_kind::clear_stimulation, 7u, "channel = 8: must be in [0, 7]"},
          std::tuple{command_kind::clear_controller, 3u, "slot = 4: must be in [0, 3]"}}) {
      INFO("all = " << all << ", " << refusal);
      command clear;
      clear.kind = kind;
      clear.all_channels = all;
      clear.channel = static_cast<std::uint8_t>(last);
      const io::decoded_command d = decode(bytes_of(clear));
      INFO(d.reason);
      REQUIRE(d.ok);
      CHECK(d.cmd.kind == kind);
      CHECK(d.cmd.channel == last);
      CHECK(d.cmd.all_channels == all);
      clear.channel = static_cast<std::uint8_t>(last + 1);
      refused(decode(bytes_of(clear)), refusal);
    }

  // SetPrograms (encode_command sends a set_stimulation as a one-program SetPrograms).
  command program = stim_command();
  program.channel = 7;
  io::decoded_command d = decode(bytes_of(program));
  INFO(d.reason);
  REQUIRE(d.ok);
  CHECK(d.cmd.channel == 7);
  program.channel = 8;
  refused(decode(bytes_of(program)), "programs[0].channel = 8: must be in [0, 7]");

  // SetStimulation, the first form, built by hand.
  for (const std::uint8_t channel : {std::uint8_t{7}, std::uint8_t{8}}) {
    flatbuffers::FlatBufferBuilder b;
    const auto body = io::proto::CreateSetStimulation(b, channel, 0, io::proto::Waveform::Dc, 10.0f);
    const auto cmd = io::proto::CreateCommand(b, 5, 0, io::proto::CommandBody::SetStimulation, body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    d = decode({span.begin(), span.end()});
    if (channel == 7) {
      INFO(d.reason);
      REQUIRE(d.ok);
      CHECK(d.cmd.channel == 7);
    } else {
      refused(d, "channel = 8: must be in [0, 7]");
    }
  }

  // SetController: its slot and its output's channel.
  command k = open_loop_command();
  k.channel = 3;
  k.controller.output_channel = 7;
  d = decode(bytes_of(k));
  INFO(d.reason);
  REQUIRE(d.ok);
  CHECK(d.cmd.channel == 3);
  CHECK(d.cmd.controller.output_channel == 7);
  k.channel = 4;
  refused(decode(bytes_of(k)), "slot = 4: must be in [0, 3]");
  k.channel = 3;
  k.controller.output_channel = 8;
  refused(decode(bytes_of(k)), "controller.output.channel = 8");
}

// Reference: the bound the protocol states (docs/protocol.md: start_tick -1 or [0, 10^12]) and int64's range: 2^62
// ticks x 10 steps overflowed on the real-time thread (undefined behaviour) and came back "already past".
TEST_CASE("a start_tick beyond 10^12 ticks is refused before it reaches the real-time thread", "[codec][validation]") {
  for (command c : {stim_command(), open_loop_command()}) {
    INFO(io::to_string(c.kind));
    c.start_tick = std::int64_t{1} << 62;
    io::decoded_command d = decode(bytes_of(c));
    CHECK(d.code == error_code::out_of_range);
    CHECK_THAT(d.reason, Catch::Contains("start_tick = 4611686018427387904: must be -1 (next tick) or in [0, "
                                         "1000000000000]"));
    c.start_tick = 1'000'000'000'000;
    d = decode(bytes_of(c));
    INFO(d.reason);
    CHECK(d.ok);
    c.start_tick = -2;
    CHECK_THAT(decode(bytes_of(c)).reason, Catch::Contains("start_tick = -2"));
  }
}

TEST_CASE("Step outside stepped mode is refused as WrongMode", "[codec][validation]") {
  command step;
  step.kind = command_kind::step;
  step.ticks = 10;
  const io::decoded_command d = decode(bytes_of(step), io::run_mode::realtime);
  CHECK(d.code == error_code::wrong_mode);
  CHECK_THAT(d.reason, Catch::Contains("realtime"));
}

TEST_CASE("SetParameter outside the whitelist is refused as UnknownParameter", "[codec][validation]") {
  flatbuffers::FlatBufferBuilder b;
  const auto body = io::proto::CreateSetParameterDirect(b, "network.exc.c_pF", 100.0);
  const auto cmd = io::proto::CreateCommand(b, 5, 0, io::proto::CommandBody::SetParameter, body.Union());
  b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
  const auto span = b.GetBufferSpan();
  const io::decoded_command d = decode({span.begin(), span.end()});
  CHECK(d.code == error_code::unknown_parameter);
  CHECK_THAT(d.reason, Catch::Contains("network.exc.c_pF"));
  CHECK_THAT(d.reason, Catch::Contains("whitelist"));
}

TEST_CASE("readouts, acks and status encode into verifiable messages", "[codec]") {
  flatbuffers::FlatBufferBuilder b;
  io::readout_record r;
  r.tick = 12;
  r.t_ms = 13.0;
  r.exc.rate_Hz = 4.25;
  r.inh.mean_v_mV = -61.5;
  r.n_ring_units = 3;
  r.vsdi_percent = {0.1f, 0.2f, 0.3f};
  io::encode_readout(b, r, 99);
  const io::proto::Message* m = io::verify_message(b.GetBufferSpan());
  REQUIRE(m);
  const io::proto::Readout* out = m->payload_as_Readout();
  REQUIRE(out);
  CHECK(out->tick() == 12);
  CHECK(out->publish_ns() == 99);
  CHECK(out->exc()->rate_hz() == 4.25);
  CHECK(out->inh()->mean_v_mv() == -61.5);
  REQUIRE(out->vsdi_percent()->size() == 3);
  CHECK(out->vsdi_percent()->Get(2) == 0.3f);

  io::encode_ack(b, {.seq = 3, .accepted = false, .code = error_code::queue_full, .reason = "full"});
  m = io::verify_message(b.GetBufferSpan());
  REQUIRE(m);
  CHECK(m->payload_as_Ack()->code() == io::proto::ErrorCode::QueueFull);
  CHECK(m->payload_as_Ack()->reason()->str() == "full");

  io::status_record s;
  s.deadline_misses = 4;
  io::encode_status(b, s, {.commands_received = 8, .scheduling = "SCHED_OTHER"});
  m = io::verify_message(b.GetBufferSpan());
  REQUIRE(m);
  CHECK(m->payload_as_Status()->deadline_misses() == 4);
  CHECK(m->payload_as_Status()->commands_received() == 8);
}

// Reference: protocol.md's DeviceReadout row (and the schema's SensedSample): each sensing channel's last sample
// crosses as `signal`, `raw`, `filtered`, `rms`, `envelope`, `phase_rad`, `blanked`, field for field. Two channels
// whose seven values all differ, decoded from the verified message. Break tried: encode_device building the
// SensedSample with s.envelope and s.rms swapped -> rms() and envelope() of both channels fail.
TEST_CASE("a readout's sensing samples decode with every field in its place", "[codec]") {
  flatbuffers::FlatBufferBuilder b;
  io::readout_record r;
  r.tick = 5;
  r.device.n_sensing = 2;
  r.device.sensing[0] = {.signal = 1.25, .raw = 2.5, .filtered = 3.75, .rms = 5.5, .envelope = 7.125,
                         .phase_rad = 0.5, .blanked = true};
  r.device.sensing[1] = {.signal = -11.0, .raw = -12.5, .filtered = -13.25, .rms = 14.0625, .envelope = 15.5,
                         .phase_rad = -1.0, .blanked = false};
  io::encode_readout(b, r, 1);
  const io::proto::Message* m = io::verify_message(b.GetBufferSpan());
  REQUIRE(m);
  const io::proto::Readout* out = m->payload_as_Readout();
  REQUIRE(out);
  REQUIRE(out->device());
  const auto* sensing = out->device()->sensing();
  REQUIRE(sensing);
  REQUIRE(sensing->size() == 2);
  for (std::uint32_t i = 0; i < 2; ++i) {
    CAPTURE(i);
    const auto& want = r.device.sensing[i];
    const io::proto::SensedSample* got = sensing->Get(i);
    CHECK(got->signal() == want.signal);
    CHECK(got->raw() == want.raw);
    CHECK(got->filtered() == want.filtered);
    CHECK(got->rms() == want.rms);
    CHECK(got->envelope() == want.envelope);
    CHECK(got->phase_rad() == want.phase_rad);
    CHECK(got->blanked() == want.blanked);
  }
}

// The first form of the command (float milliseconds) rounded widths up to whole steps, so 0.1-0.4, 0.6 and
// 0.8 ms pulses were one step too long and left net charge. Its widths now become whole microseconds.
TEST_CASE("SetStimulation's float pulse widths become exact microseconds, equal for both phases", "[codec]") {
  for (const float width_ms : {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.05f, 1.25f}) {
    flatbuffers::FlatBufferBuilder b;
    const auto site = io::proto::CreateSite(b, io::proto::SiteKind::Population, io::proto::Population::Exc, 0, 1.5, 0);
    const auto body = io::proto::CreateSetStimulation(b, 1, site, io::proto::Waveform::PulseTrain, 100.0f, 100.0f,
                                                      width_ms, true, 0.0f, 0.0f);
    const auto cmd = io::proto::CreateCommand(b, 5, 0, io::proto::CommandBody::SetStimulation, body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    const io::decoded_command d = decode({span.begin(), span.end()});
    INFO(width_ms << " ms: " << d.reason);
    REQUIRE(d.ok);
    CHECK(d.cmd.program.phase_width_us == static_cast<std::uint32_t>(std::lround(width_ms * 1000.0)));
    CHECK(d.cmd.program.biphasic);
    // docs/protocol.md, SetStimulation: "A for pulse_width_ms of every period (then -A ...)": its first phase is
    // positive (the device's default is cathodic first). Break tried (a mutation audit, 2026-12-05, where only
    // python_external_loop's phase error caught it by chance): cathodic_first = true in decode_stimulation -> fails.
    CHECK_FALSE(d.cmd.program.cathodic_first);
  }
}

// Reference: the schema (io/protocol/schema, SetStimulation.duration_ms): 0 = no end, else (0, 3600000] ms. A positive
// duration that rounds to 0 us must not become "no end" (it was accepted, and the program ran on).
// Break tried: without the check in decode_stimulation -> 0.0004 ms decodes ok with duration_us 0.
TEST_CASE("SetStimulation's positive duration that rounds to 0 us is refused, not taken as no end", "[codec][validation]") {
  auto decode_duration = [](float duration_ms) {
    flatbuffers::FlatBufferBuilder b;
    const auto body = io::proto::CreateSetStimulation(b, 1, 0, io::proto::Waveform::Dc, 10.0f, 0.0f, 0.0f, false,
                                                      0.0f, duration_ms);
    const auto cmd = io::proto::CreateCommand(b, 5, 0, io::proto::CommandBody::SetStimulation, body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    return decode({span.begin(), span.end()});
  };
  const io::decoded_command tiny = decode_duration(0.0004f);
  CHECK_FALSE(tiny.ok);
  CHECK_THAT(tiny.reason, Catch::Contains("duration_ms = 4e-04:"));  // the float 0.0004f, shortest form (widened: 0.000399999...)
  // Documented [0.001, 3.6e6] ms: 0.0005 (which rounds up to 1 us) is refused too (an outside check, 2026-12-05:
  // accepted). Break tried: the `< 0.001f` test removed from decode_stimulation -> 0.0005 decodes.
  const io::decoded_command half_us = decode_duration(0.0005f);
  CHECK_FALSE(half_us.ok);
  CHECK_THAT(half_us.reason, Catch::Contains("must be 0 (no end) or in [0.001, 3.6e6] ms"));
  const io::decoded_command one_us = decode_duration(0.001f);
  REQUIRE(one_us.ok);
  CHECK(one_us.cmd.program.duration_us == 1);
  const io::decoded_command no_end = decode_duration(0.0f);
  REQUIRE(no_end.ok);
  CHECK(no_end.cmd.program.duration_us == 0);
  // pulse_width_ms likewise: [0.001, 1000] ms. Break tried: its `< 0.001f` test removed -> 0.0005 decodes.
  auto decode_width = [](float width_ms) {
    flatbuffers::FlatBufferBuilder b;
    const auto body = io::proto::CreateSetStimulation(b, 1, 0, io::proto::Waveform::PulseTrain, 10.0f, 100.0f, width_ms);
    const auto cmd = io::proto::CreateCommand(b, 5, 0, io::proto::CommandBody::SetStimulation, body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    return decode({span.begin(), span.end()});
  };
  CHECK_THAT(decode_width(0.0005f).reason, Catch::Contains("pulse_width_ms = 5e-04: must be in [0.001, 1000] ms"));
  const io::decoded_command width_1us = decode_width(0.001f);
  REQUIRE(width_1us.ok);
  CHECK(width_1us.cmd.program.phase_width_us == 1);
}

TEST_CASE("SetPrograms decodes to one group whose records share a start tick, and repeated channels are refused",
          "[codec]") {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<io::proto::ChannelProgram>> programs;
  for (const std::uint8_t channel : {std::uint8_t{2}, std::uint8_t{5}}) {
    io::proto::ProgramBuilder pb(b);
    pb.add_waveform(channel == 2 ? io::proto::Waveform::Dc : io::proto::Waveform::Sine);
    pb.add_amplitude(20.0);
    pb.add_frequency_hz(channel == 2 ? 0.0 : 10.0);
    const auto program = pb.Finish();
    programs.push_back(io::proto::CreateChannelProgram(b, channel, 0, program));
  }
  const auto body = io::proto::CreateSetPrograms(b, b.CreateVector(programs), 40);
  const auto cmd = io::proto::CreateCommand(b, 8, 0, io::proto::CommandBody::SetPrograms, body.Union());
  b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
  auto span = b.GetBufferSpan();
  const io::decoded_command d = decode({span.begin(), span.end()});
  INFO(d.reason);
  REQUIRE(d.ok);
  REQUIRE(d.group.size() == 2);
  CHECK(d.group[0].channel == 2);
  CHECK(d.group[1].channel == 5);
  for (const command& c : d.group) {
    CHECK(c.group_size == 2);
    CHECK(c.start_tick == 40);
  }
  CHECK(d.group[1].program.shape == firmware_sim::waveform::sine);

  flatbuffers::FlatBufferBuilder twice;
  std::vector<flatbuffers::Offset<io::proto::ChannelProgram>> same;
  for (int i = 0; i < 2; ++i) {
    io::proto::ProgramBuilder pb(twice);
    pb.add_amplitude(1.0);
    const auto program = pb.Finish();
    same.push_back(io::proto::CreateChannelProgram(twice, 3, 0, program));
  }
  const auto body2 = io::proto::CreateSetPrograms(twice, twice.CreateVector(same), -1);
  const auto cmd2 = io::proto::CreateCommand(twice, 9, 0, io::proto::CommandBody::SetPrograms, body2.Union());
  twice.Finish(io::proto::CreateMessage(twice, io::proto::Payload::Command, cmd2.Union()), io::proto::MessageIdentifier());
  span = twice.GetBufferSpan();
  const io::decoded_command dup = decode({span.begin(), span.end()});
  CHECK_FALSE(dup.ok);
  CHECK_THAT(dup.reason, Catch::Contains("channel = 3: appears twice"));
}

// Reference: docs/protocol.md, Program: `anodic_first` sets a PulseTrain's polarity, the amplitude its phases'
// magnitude; a negative amplitude reversed the polarity against anodic_first without a word (an outside audit). It is
// refused naming program.amplitude and anodic_first; 0 and a negative DC (a direct site's hyperpolarizing current) pass.
// Break tried: the check removed from decode_program -> the -100 train decodes, the first CHECK_FALSE fails.
TEST_CASE("SetPrograms refuses a negative PulseTrain amplitude, naming anodic_first, and a negative DC passes",
          "[codec][validation]") {
  const auto decode_one = [](io::proto::Waveform waveform, double amplitude) {
    flatbuffers::FlatBufferBuilder b;
    io::proto::ProgramBuilder pb(b);
    pb.add_waveform(waveform);
    pb.add_amplitude(amplitude);
    pb.add_frequency_hz(100.0);
    pb.add_phase_width_us(100);
    const auto program = pb.Finish();
    std::vector<flatbuffers::Offset<io::proto::ChannelProgram>> programs{
        io::proto::CreateChannelProgram(b, 0, 0, program)};
    const auto body = io::proto::CreateSetPrograms(b, b.CreateVector(programs), -1);
    const auto cmd = io::proto::CreateCommand(b, 1, 0, io::proto::CommandBody::SetPrograms, body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    return decode({span.begin(), span.end()});
  };
  const io::decoded_command negative = decode_one(io::proto::Waveform::PulseTrain, -100.0);
  CHECK_FALSE(negative.ok);
  CHECK_THAT(negative.reason, Catch::Contains("program.amplitude = -100: a PulseTrain's amplitude is the magnitude of "
                                              "its phases and must be >= 0; anodic_first sets which phase comes first"));
  CHECK(decode_one(io::proto::Waveform::PulseTrain, 0.0).ok);
  CHECK(decode_one(io::proto::Waveform::PulseTrain, 100.0).ok);
  const io::decoded_command dc = decode_one(io::proto::Waveform::Dc, -100.0);
  INFO(dc.reason);
  CHECK(dc.ok);
}

// Issue 9, defect 10: the I/O thread computes a ring site's Gaussian and the record carries it (the real-time thread
// only copies it). Break tried: attach_ring_profile leaving n_ring_profile at 0 -> every REQUIRE on the profile fails.
TEST_CASE("a ring_position record carries its profile, computed by the decoder as the stimulator would, bit for bit",
          "[codec][ring][profile]") {
  const firmware_sim::ring_geometry ring{100, 36.0};  // decode()'s layout
  command c = stim_command();
  c.site.kind = firmware_sim::site_kind::ring_position;
  c.site.position_mm = 35.5;  // wraps around to unit 0
  c.site.width_mm = 2.5;
  std::vector<float> expected(100);
  firmware_sim::ring_site_profile(c.site, ring, expected);
  io::decoded_command d = decode(bytes_of(c));
  INFO(d.reason);
  REQUIRE(d.ok);
  REQUIRE(d.cmd.n_ring_profile == 100);
  CHECK(std::equal(expected.begin(), expected.end(), d.cmd.ring_profile.begin()));
  CHECK(d.cmd.ring_profile[0] > 0.9f);  // the site's own geometry: 0.5 mm from unit 0

  // A population site carries none.
  d = decode(bytes_of(stim_command()));
  REQUIRE(d.ok);
  CHECK(d.cmd.n_ring_profile == 0);

  // A controller's ring_position output gets its profile with the SetController.
  command k;
  k.kind = command_kind::set_controller;
  k.channel = 1;
  k.controller.kind = firmware_sim::controller_kind::open_loop;
  k.controller.output_channel = 6;
  k.controller.output_site = c.site;
  k.controller.output_program.amplitude = 5.0;
  k.controller.n_schedule = 1;
  k.controller.schedule[0] = {0, 5.0};
  d = decode(bytes_of(k));
  INFO(d.reason);
  REQUIRE(d.ok);
  REQUIRE(d.cmd.n_ring_profile == 100);
  CHECK(std::equal(expected.begin(), expected.end(), d.cmd.ring_profile.begin()));
}

namespace {
// A Command of a known body type whose body table is absent (as a client in another language can send).
std::vector<std::uint8_t> command_without_body(io::proto::CommandBody type) {
  flatbuffers::FlatBufferBuilder b;
  const auto cmd = io::proto::CreateCommand(b, 31, 0, type, 0);
  b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
  const auto span = b.GetBufferSpan();
  return {span.begin(), span.end()};
}

std::vector<std::uint8_t> set_parameter_bytes(std::string_view name, double value) {
  flatbuffers::FlatBufferBuilder b;
  const auto body = io::proto::CreateSetParameter(b, b.CreateString(name.data(), name.size()), value);
  const auto cmd = io::proto::CreateCommand(b, 5, 0, io::proto::CommandBody::SetParameter, body.Union());
  b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
  const auto span = b.GetBufferSpan();
  return {span.begin(), span.end()};
}
}  // namespace

TEST_CASE("a Command of any known body type without its body is refused as UnknownCommand (no crash)",
          "[codec][malformed]") {
  for (int t = 1; t <= static_cast<int>(io::proto::CommandBody::MAX); ++t) {
    const auto type = static_cast<io::proto::CommandBody>(t);
    INFO(io::proto::EnumNameCommandBody(type));
    const io::decoded_command d = decode(command_without_body(type), io::run_mode::stepped);
    CHECK_FALSE(d.ok);
    CHECK(d.code == error_code::unknown_command);
    CHECK(d.seq == 31);
    CHECK_THAT(d.reason, Catch::Contains("no body"));
  }
}

TEST_CASE("numbers in reasons are printed exactly (shortest round trip)", "[codec][validation]") {
  CHECK(io::format_number(200.0001).view() == "200.0001");
  CHECK(io::format_number(0.1).view() == "0.1");
  CHECK(io::format_number(5000.001f).view() == "5000.001");
  CHECK(io::format_number(1e300).view() == "1e+300");
  CHECK(io::format_number(std::nan("")).view() == "nan");
  command rate;
  rate.kind = command_kind::set_drive_rate;
  rate.value = 200.0001;
  CHECK_THAT(decode(bytes_of(rate)).reason, Catch::Contains("rate_hz = 200.0001"));
  const io::decoded_command p = decode(set_parameter_bytes("stream.readout_every", 1000.000001));
  CHECK_THAT(p.reason, Catch::Contains("stream.readout_every = 1000.000001"));
  // The range's edges in whole numbers (docs/protocol.md: [1, 1000]): only non-integers were sent, so the bound
  // itself was unpinned (a mutation audit, 2026-12-05; break tried: the <= 1000 bound removed -> 1001 passes).
  CHECK(decode(set_parameter_bytes("stream.readout_every", 1000.0)).ok);
  CHECK(decode(set_parameter_bytes("stream.readout_every", 1.0)).ok);
  for (const double v : {1001.0, 1e9, 0.0}) {
    const io::decoded_command q = decode(set_parameter_bytes("stream.readout_every", v));
    CHECK(q.code == error_code::out_of_range);
    CHECK_THAT(q.reason, Catch::Contains("must be a whole number in [1, 1000]"));
  }
  // An outside check (2026-12-04): delay_ms = 1e30 was converted past int64 (undefined) and refused as
  // "program.delay_us = -9223372036854775808"; an int64 field of 2^63 - 1 read 9223372036854775808 (printed through
  // a double). Breaks tried: the ms range checks removed -> the negative number; text_builder without its integer
  // overload -> ...808.
  flatbuffers::FlatBufferBuilder b;
  const auto body =
      io::proto::CreateSetStimulation(b, 1, 0, io::proto::Waveform::Dc, 10.0f, 0.0f, 0.0f, false, 1e30f, 0.0f);
  const auto cmd = io::proto::CreateCommand(b, 5, 0, io::proto::CommandBody::SetStimulation, body.Union());
  b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
  const auto span = b.GetBufferSpan();
  const io::decoded_command far = decode({span.begin(), span.end()});
  CHECK_FALSE(far.ok);
  CHECK_THAT(far.reason, Catch::StartsWith("delay_ms = 1e+30: must be in [0, 3.6e6] ms"));
  command late = stim_command();
  late.program.delay_us = std::numeric_limits<std::int64_t>::max();
  CHECK_THAT(decode(bytes_of(late)).reason, Catch::Contains("program.delay_us = 9223372036854775807: must be in"));
  // SetStimulation's float fields are the numbers the client wrote: amplitude_pa = 1000.0001 over the device's
  // 1000 pA was refused as "|I| = 1000.0001220703125 pA", the float's binary value, and without the field's name
  // (an outside check, 2026-12-05). Break tried: the amplitude taken as the float's value -> ...1220703125.
  flatbuffers::FlatBufferBuilder over_b;
  const auto over_body =
      io::proto::CreateSetStimulation(over_b, 1, 0, io::proto::Waveform::Dc, 1000.0001f, 0.0f, 0.0f, false, 0.0f, 0.0f);
  over_b.Finish(io::proto::CreateMessage(over_b, io::proto::Payload::Command,
                                         io::proto::CreateCommand(over_b, 6, 0, io::proto::CommandBody::SetStimulation,
                                                                  over_body.Union()).Union()),
                io::proto::MessageIdentifier());
  const auto over_span = over_b.GetBufferSpan();
  const io::decoded_command over = decode({over_span.begin(), over_span.end()});
  CHECK_FALSE(over.ok);
  CHECK(over.reason == "amplitude_pa = 1000.0001: direct current: |I| = 1000.0001 pA > 1000 pA (max_direct_pA)");
}

TEST_CASE("non-finite values are refused in every field, whether the waveform or site uses it or not",
          "[codec][validation]") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  command dc = stim_command();
  dc.program.shape = firmware_sim::waveform::dc;
  dc.program.frequency_Hz = nan;
  io::decoded_command d = decode(bytes_of(dc));
  CHECK(d.code == error_code::out_of_range);
  CHECK_THAT(d.reason, Catch::Contains("frequency_hz = nan"));

  // The first form of the command (SetStimulation, float fields) likewise, in a field DC does not use.
  {
    flatbuffers::FlatBufferBuilder b;
    const auto body = io::proto::CreateSetStimulation(b, 1, 0, io::proto::Waveform::Dc, 10.0f, 0.0f, -inf);
    const auto cmd = io::proto::CreateCommand(b, 5, 0, io::proto::CommandBody::SetStimulation, body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    CHECK_THAT(decode({span.begin(), span.end()}).reason, Catch::Contains("pulse_width_ms = -inf"));
  }

  command population = stim_command();  // a population site does not use position_mm
  population.site.position_mm = nan;
  CHECK_THAT(decode(bytes_of(population)).reason, Catch::Contains("site.position_mm = nan"));
  population.site.position_mm = 0;
  population.site.width_mm = inf;
  CHECK_THAT(decode(bytes_of(population)).reason, Catch::Contains("site.width_mm = inf"));
  // > 0 as protocol.md says, also where the kind does not use it (0 and -1 were accepted on a Population site: an
  // outside check, 2026-12-04). Break tried: the finite check alone -> accepted, these fail.
  for (const float width : {0.0f, -1.0f}) {
    population.site.width_mm = width;
    CHECK_THAT(decode(bytes_of(population)).reason, Catch::Contains("site.width_mm = " +
                                                                    io::format_number(width).str() +
                                                                    ": must be finite and > 0"));
  }

  command clear;
  clear.kind = command_kind::clear_stimulation;
  clear.all_channels = true;
  clear.channel = 200;
  d = decode(bytes_of(clear));
  CHECK(d.code == error_code::out_of_range);
  CHECK_THAT(d.reason, Catch::Contains("channel = 200"));
  clear.channel = 0;
  CHECK(decode(bytes_of(clear)).ok);

  command param;
  param.kind = command_kind::set_parameter;
  param.parameter = io::parameter_id::stream_spikes;
  param.value = std::nan("");
  CHECK(decode(bytes_of(param)).code == error_code::out_of_range);
  param.parameter = io::parameter_id::drive_rate_Hz;
  CHECK(decode(bytes_of(param)).code == error_code::out_of_range);
}

TEST_CASE("a drive rate the network's Bernoulli drive cannot represent is refused with this config's maximum",
          "[codec][validation]") {
  engine::engine_params p;  // dt = 0.1 ms, K_e = 400: p = dt * K_e * rate <= 1 up to 25 Hz
  io::decode_limits limits;
  io::set_drive_limits(limits, p);
  CHECK(limits.max_drive_rate_Hz == 25.0);
  command rate;
  rate.kind = command_kind::set_drive_rate;
  rate.value = 25.0;
  CHECK(io::decode_command(bytes_of(rate), limits).ok);
  rate.value = 25.5;
  io::decoded_command d = io::decode_command(bytes_of(rate), limits);
  CHECK(d.code == error_code::out_of_range);
  CHECK_THAT(d.reason, Catch::Contains("rate_hz = 25.5") && Catch::Contains("[0, 25] Hz") &&
                           Catch::Contains("at most once per step"));
  d = io::decode_command(set_parameter_bytes("network.drive.rate_Hz", 30.0), limits);
  CHECK(d.code == error_code::out_of_range);
  CHECK_THAT(d.reason, Catch::Contains("[0, 25] Hz"));

  // The ring alone has no Bernoulli drive: the protocol's 200 Hz.
  p.ring.emplace();
  p.ring->with_network = false;
  io::set_drive_limits(limits, p);
  CHECK(limits.max_drive_rate_Hz == 200.0);

  // Nor has an [aln] node alone, a config without cells (network.n_neurons = 0): its Info said 25 Hz (an outside
  // check, 2026-12-05, configs/cakan2020/aln_a1.toml). Break tried: the old test of the ring alone -> 25. Nor has it
  // any drive (the next test): 0, no rate accepted.
  p.ring.reset();
  p.network.n_neurons = 0;
  p.aln.emplace();
  io::set_drive_limits(limits, p);
  CHECK(limits.max_drive_rate_Hz == 0.0);
}

// A model without a drive refuses every rate, naming why. An ALN node alone (configs/cakan2020/aln_a1.toml: rates
// identical before and after) and the Cakan 2020 network (configs/cakan2020/network.toml, whose input is
// network.input's mu and sigma: docs/cakan2020_network.md) acked SetDriveRate and SetParameter network.drive.rate_Hz
// as applied while nothing changed (an outside audit, 2026-12-07). Reference: engine::set_drive_rate_Hz
// (engine/engine.hpp) reaches the conductance network's Bernoulli drive and a Zerlaut ring's drive term, nothing else;
// the configs with one of those accept a rate. Break tried: set_drive_limits without its engine::no_drive_reason
// check -> the three configs without a drive accept 4 Hz (and Info says 200 Hz), fail here.
TEST_CASE("a model without a drive refuses every drive rate, by SetDriveRate and SetParameter alike, naming why",
          "[codec][validation]") {
  struct without_drive {
    const char* config;
    const char* why;
  };
  for (const auto& [config, why] : {without_drive{"configs/cakan2020/aln_a1.toml", "the [aln] node alone has no drive"},
                                    without_drive{"configs/cakan2020/network.toml", "network.synapse_model = \"fraction\""},
                                    without_drive{"configs/cakan2020/aln_ring.toml", "an ALN ring"}}) {
    INFO(config);
    io::decode_limits limits;
    io::set_drive_limits(limits, testing::load_params(config));
    CHECK(limits.max_drive_rate_Hz == 0.0);  // Info.max_drive_rate_hz
    command rate;
    rate.kind = command_kind::set_drive_rate;
    for (const double hz : {0.0, 4.0}) {
      rate.value = hz;
      io::decoded_command d = io::decode_command(bytes_of(rate), limits);
      CHECK(d.code == error_code::out_of_range);
      CHECK_THAT(d.reason, Catch::Contains("has no drive a rate could change") && Catch::Contains(why) &&
                               Catch::Contains("nothing was applied"));
      d = io::decode_command(set_parameter_bytes("network.drive.rate_Hz", hz), limits);
      CHECK(d.code == error_code::out_of_range);
      CHECK_THAT(d.reason, Catch::Contains("network.drive.rate_Hz = ") && Catch::Contains(why));
    }
  }
  for (const char* config : {"configs/default.toml", "configs/zerlaut2018_network.toml", "configs/zerlaut2018_ring.toml",
                             "configs/carlu2020/network.toml", "configs/cakan2020/live_a1.toml"}) {
    INFO(config);
    engine::engine_params p = testing::load_params(config);
    io::decode_limits limits;
    io::set_drive_limits(limits, p);
    command rate;
    rate.kind = command_kind::set_drive_rate;
    rate.value = 4.0;
    const bool has_drive = engine::no_drive_reason(p) == nullptr;
    // live_a1.toml: the authors' wiring of the Cakan network beside an [aln] node, neither with a drive.
    CHECK(has_drive == (std::string(config) != "configs/cakan2020/live_a1.toml"));
    CHECK(io::decode_command(bytes_of(rate), limits).ok == has_drive);
  }
}

// A rate the network's cells draw more than 1 % off is refused as a config's is (engine::drive_resolution_problem):
// SetDriveRate 0.001 Hz was taken and drawn as 0.00114 Hz (+14 %), and at k_exc 1 a rate of 0.07 Hz drew nothing (an
// outside audit, 2026-12-07). Reference: the quantisation by hand, p = dt * k_exc * rate in steps of 2^-16: at dt
// 0.1 ms, k_exc 400, 0.001 Hz is p = 4e-5 = 2.62 steps, drawn as 3 steps = 0.001144 Hz; 0.0191 Hz = 50 steps holds
// 1 % at any rate above it. Break tried: drive_rate_problem without the resolution check -> both rates accepted.
TEST_CASE("a drive rate its cells would draw more than 1 % off is refused, by SetDriveRate and SetParameter alike",
          "[codec][validation]") {
  engine::engine_params p;  // dt = 0.1 ms, K_e = 400
  io::decode_limits limits;
  io::set_drive_limits(limits, p);
  command rate;
  rate.kind = command_kind::set_drive_rate;
  for (const double ok : {0.0, 0.0191, 4.0, 25.0}) {
    rate.value = ok;
    CHECK(io::decode_command(bytes_of(rate), limits).ok);
  }
  rate.value = 0.001;
  io::decoded_command d = io::decode_command(bytes_of(rate), limits);
  CHECK(d.code == error_code::out_of_range);
  CHECK_THAT(d.reason, Catch::Contains("rate_hz = 0.001") && Catch::Contains("drawn as 0.00114441 Hz (+14.4 %)") &&
                           Catch::Contains("at least 0.0191 Hz"));
  d = io::decode_command(set_parameter_bytes("network.drive.rate_Hz", 0.001), limits);
  CHECK(d.code == error_code::out_of_range);
  CHECK_THAT(d.reason, Catch::Contains("drawn as 0.00114441 Hz"));
  // The ring alone draws no events: its mean field takes any rate.
  p.ring.emplace();
  p.ring->with_network = false;
  io::set_drive_limits(limits, p);
  rate.value = 0.001;
  CHECK(io::decode_command(bytes_of(rate), limits).ok);
}

TEST_CASE("a SetParameter name is echoed bounded, as valid UTF-8 and with its control characters escaped, and every ack reason is valid UTF-8",
          "[codec][validation][utf8]") {
  std::string huge(100'000, 'x');
  huge[10] = '\xff';
  io::decoded_command d = decode(set_parameter_bytes(huge, 1.0));
  CHECK(d.code == error_code::unknown_parameter);
  CHECK(d.reason.size() < 300);
  CHECK(io::is_valid_utf8(d.reason));
  CHECK_THAT(d.reason, Catch::Contains("...(+"));

  // Invalid sequences of every kind: lone continuation, overlong, surrogate, truncated, above U+10FFFF.
  const std::string bad = std::string("a\x80") + "\xC0\xAF" + "\xED\xA0\x80" + "\xE2\x82" + "\xF4\x90\x80\x80" + "\xC3\xA9";
  CHECK_FALSE(io::is_valid_utf8(bad));
  const std::string clean = io::sanitize_utf8(bad);
  CHECK(io::is_valid_utf8(clean));
  CHECK_THAT(clean, Catch::EndsWith("\xC3\xA9"));  // the valid "é" at the end is kept
  d = decode(set_parameter_bytes(bad, 1.0));
  CHECK(io::is_valid_utf8(d.reason));

  // Control characters of the name are shown as escapes: a NUL cut the reason short for C-string readers and an
  // ESC or a C1 CSI (U+009B) is a terminal command for whoever prints the ack (an outside check sent a NUL,
  // 2026-12-04). Reference: ECMA-48's C0 and C1 sets. Break tried: the echo without control_chars::escape -> fails.
  d = decode(set_parameter_bytes(std::string("a\0b\x1b[31mc\x7f\xC2\x9B""2J\tz", 16), 1.0));
  CHECK(d.code == error_code::unknown_parameter);
  CHECK_THAT(d.reason, Catch::Contains("parameter 'a\\x00b\\x1b[31mc\\x7f\\u009b2J\\x09z'"));
  CHECK(std::none_of(d.reason.begin(), d.reason.end(),
                     [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F; }));
  CHECK_THAT(d.reason, !Catch::Contains("\xC2\x9B"));

  flatbuffers::FlatBufferBuilder b;
  const std::string long_reason(10'000, 'r');
  io::encode_ack(b, {.seq = 1, .code = error_code::out_of_range, .reason = bad});
  const io::proto::Message* m = io::verify_message(b.GetBufferSpan());
  REQUIRE(m);
  CHECK(io::is_valid_utf8(m->payload_as_Ack()->reason()->string_view()));
  io::encode_ack(b, {.seq = 1, .code = error_code::out_of_range, .reason = long_reason});
  m = io::verify_message(b.GetBufferSpan());
  REQUIRE(m);
  CHECK(m->payload_as_Ack()->reason()->size() <= io::kMaxReason_bytes + 32);
}

namespace {
// A SetPrograms of one arbitrary-waveform program with n samples (a ramp in [-1, 1)) on channel 1, population Exc.
std::vector<std::uint8_t> arbitrary_program_of(std::size_t n) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<float> samples(n);
  for (std::size_t i = 0; i < n; ++i) samples[i] = -1.0f + 2.0f * static_cast<float>(i) / static_cast<float>(n + 1);
  const auto s = b.CreateVector(samples);
  io::proto::ProgramBuilder pb(b);
  pb.add_waveform(io::proto::Waveform::Arbitrary);
  pb.add_amplitude(10.0);
  pb.add_samples(s);
  pb.add_sample_period_us(100);
  const auto program = pb.Finish();
  std::vector<flatbuffers::Offset<io::proto::ChannelProgram>> programs{io::proto::CreateChannelProgram(b, 1, 0, program)};
  const auto body = io::proto::CreateSetPrograms(b, b.CreateVector(programs), -1);
  const auto cmd = io::proto::CreateCommand(b, 11, 0, io::proto::CommandBody::SetPrograms, body.Union());
  b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
  const auto span = b.GetBufferSpan();
  return {span.begin(), span.end()};
}
}  // namespace

// Reference: the schema (cortexloop.fbs, Program.samples: "Arbitrary: up to 1024 samples") and docs/protocol.md: 1 ..
// 1024 samples accepted, every one carried into the program in order; 1025 (and 0) refused as out of range with a
// reason naming the field and the limit. Exact. Break tried: codec.cpp's `n > kMaxWaveformSamples` -> `n >=` -> the
// 1024-sample program is refused, fails.
TEST_CASE("an arbitrary waveform of 1024 samples is accepted, 1025 or none refused naming the limit", "[codec]") {
  for (const std::size_t n : {std::size_t{1}, std::size_t{1024}}) {
    CAPTURE(n);
    const io::decoded_command d = decode(arbitrary_program_of(n));
    INFO(d.reason);
    REQUIRE(d.ok);
    REQUIRE(d.group.size() == 1);
    const firmware_sim::program& p = d.group[0].program;
    CHECK(p.shape == firmware_sim::waveform::arbitrary);
    REQUIRE(p.wave.n_samples == n);
    CHECK(p.wave.samples[0] == -1.0f);
    CHECK(p.wave.samples[n - 1] == -1.0f + 2.0f * static_cast<float>(n - 1) / static_cast<float>(n + 1));
  }
  for (const std::size_t n : {std::size_t{1025}, std::size_t{0}}) {
    CAPTURE(n);
    const io::decoded_command d = decode(arbitrary_program_of(n));
    CHECK_FALSE(d.ok);
    CHECK(d.code == error_code::out_of_range);
    CHECK_THAT(d.reason, Catch::Contains("program.samples (count) = " + std::to_string(n)) &&
                             Catch::Contains("must be 1 .. 1024 samples"));
  }
}

// A stimulation onto a population with no cells is refused on the I/O thread, naming the population and why. Reference:
// docs/protocol.md, SetStimulation ("refused (OutOfRange) when ... a population no cell, ring or [aln] node receives").
// An outside audit (2026-12-07): `stim dc --population inh` on configs/naud2008/tonic_spiking.toml (one cell,
// exc_fraction = 1) was acked and read back as 300 pA delivered. The Exc population, a ring and an [aln] node receive
// it: accepted. Break tried: population_reached (codec.cpp) returning true at once -> the Inh SetStimulation and
// SetPrograms, and the Exc SetPrograms at exc_fraction 0, are accepted: 7 checks fail here.
TEST_CASE("a stimulation of a population without cells is refused naming the population and why",
          "[codec][validation]") {
  engine::engine_params p = testing::load_params("configs/naud2008/tonic_spiking.toml");
  io::decode_limits limits;
  io::set_drive_limits(limits, p);
  io::set_population_limits(limits, p);
  const auto stim_bytes = [](io::proto::Population population) {
    flatbuffers::FlatBufferBuilder b;
    const auto site = io::proto::CreateSite(b, io::proto::SiteKind::Population, population, 0, 1.5, 0);
    const auto body = io::proto::CreateSetStimulation(b, 1, site, io::proto::Waveform::Dc, 300.0f);
    const auto cmd = io::proto::CreateCommand(b, 11, 0, io::proto::CommandBody::SetStimulation, body.Union());
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
    const auto span = b.GetBufferSpan();
    return std::vector<std::uint8_t>(span.begin(), span.end());
  };
  CHECK(io::decode_command(stim_bytes(io::proto::Population::Exc), limits).ok);
  io::decoded_command d = io::decode_command(stim_bytes(io::proto::Population::Inh), limits);
  CHECK_FALSE(d.ok);
  CHECK(d.code == error_code::out_of_range);
  CHECK(d.reason ==
        "site.population = Inh: population inh has no cells (network.n_neurons = 1, network.exc_fraction = 1: "
        "1 excitatory, 0 inhibitory); no cell would receive the current");

  // SetPrograms (what `cortexloop stim` sends): the same refusal, naming the program.
  command c = stim_command();
  c.site = {.kind = firmware_sim::site_kind::population, .population = engine::population::inh};
  c.program = {};
  c.program.amplitude = 300.0;
  d = io::decode_command(bytes_of(c), limits);
  CHECK_FALSE(d.ok);
  CHECK_THAT(d.reason, Catch::StartsWith("programs[0]: site.population = Inh: population inh has no cells"));
  c.site.population = engine::population::exc;
  CHECK(io::decode_command(bytes_of(c), limits).ok);

  // exc_fraction = 0: the excitatory population is the empty one.
  p.network.exc_fraction = 0.0;
  io::set_population_limits(limits, p);
  d = io::decode_command(bytes_of(c), limits);
  CHECK_FALSE(d.ok);
  CHECK_THAT(d.reason, Catch::Contains("population exc has no cells") &&
                           Catch::Contains("network.exc_fraction = 0: 0 excitatory, 1 inhibitory"));

  // An [aln] node receives both populations' currents, a ring's units a Population site's: nothing refused.
  p.aln.emplace();
  io::set_population_limits(limits, p);
  CHECK(io::decode_command(bytes_of(c), limits).ok);
  p.aln.reset();
  p.ring.emplace();
  io::set_population_limits(limits, p);
  CHECK(io::decode_command(bytes_of(c), limits).ok);
}
