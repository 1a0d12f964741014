// Reproducible sessions (issue 9): `cortexloop record` of a realtime `cortexloop serve` session with programs, an
// on-device controller, a drive change, a Reset and an External controller left silent until its watchdog fires is replayed by `cortexloop replay` bit for bit; a recording
// doctored in one command's tick or one byte of its config is reported as different.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cortexloop_child.hpp"
#include "io/client/client.hpp"
#include "io/protocol/codec.hpp"
#include "io/recording/array_descriptions.hpp"
#include "io/protocol/session.hpp"
#include "io/recording/npy.hpp"
#include "io/server/server.hpp"

using namespace cortexloop;
using namespace std::chrono_literals;
using testing::child;
using testing::read_file;
using testing::spawn_cortexloop;
using testing::wait_exit;
namespace fs = std::filesystem;
namespace fw = cortexloop::firmware_sim;

namespace {

void write_file(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// Writes `rec`'s commands.jsonl into `doctored` with `change` made to its first accepted SetPrograms line.
void change_first_set_programs(const fs::path& rec, const fs::path& doctored,
                               const std::function<void(nlohmann::json&)>& change) {
  std::istringstream lines(read_file(rec / "commands.jsonl"));
  std::string text, line;
  bool changed = false;
  while (std::getline(lines, line)) {
    nlohmann::json j = nlohmann::json::parse(line);
    if (!changed && j["kind"] == "SetPrograms" && j["accepted"] == true) change(j), changed = true;
    text += j.dump() + "\n";
  }
  REQUIRE(changed);
  write_file(doctored / "commands.jsonl", text);
}

// Writes `from`'s .npy NAME into `to` without its row `row`: the recorded header with one row fewer (its length kept:
// numpy pads the header with spaces before its newline), and the data of the other rows.
void write_without_row(const fs::path& from, const fs::path& to, const std::string& name, std::size_t row) {
  const std::string npy = read_file(from / name);
  const std::size_t hlen = static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8);
  std::string header = npy.substr(10, hlen);
  const std::size_t at = header.find("'shape': (") + 10, end = header.find_first_of(",)", at);
  const std::size_t rows = std::stoull(header.substr(at, end - at));
  REQUIRE(row < rows);
  header.replace(at, end - at, std::to_string(rows - 1));
  header.insert(header.size() - 1, std::string(hlen - header.size(), ' '));
  const std::size_t row_bytes = (npy.size() - 10 - hlen) / rows, data = 10 + hlen;
  write_file(to / name, npy.substr(0, 10) + header + npy.substr(data, row * row_bytes) +
                            npy.substr(data + (row + 1) * row_bytes));
}

struct replay_result {
  int code;
  std::string out, err;
};

replay_result replay(const fs::path& recording) {
  const child c = spawn_cortexloop({"replay", recording.string()}, recording.string() + "_replay");
  const int code = wait_exit(c, 60s);
  return {code, read_file(c.out), read_file(c.err)};
}

// SetPrograms with two channels (sine on the excitatory cells, biphasic pulses on the inhibitory ones).
std::vector<std::uint8_t> set_programs(std::uint64_t seq, double amplitude, std::int64_t start_tick) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<io::proto::ChannelProgram>> programs;
  {
    io::proto::ProgramBuilder pb(b);
    pb.add_waveform(io::proto::Waveform::Sine);
    pb.add_amplitude(amplitude);
    pb.add_frequency_hz(12.0);
    const auto program = pb.Finish();
    programs.push_back(io::proto::CreateChannelProgram(
        b, 1, io::proto::CreateSite(b, io::proto::SiteKind::Population, io::proto::Population::Exc), program));
  }
  {
    io::proto::ProgramBuilder pb(b);
    pb.add_waveform(io::proto::Waveform::PulseTrain);
    pb.add_amplitude(amplitude);
    pb.add_frequency_hz(40.0);
    pb.add_phase_width_us(300);
    const auto program = pb.Finish();
    programs.push_back(io::proto::CreateChannelProgram(
        b, 3, io::proto::CreateSite(b, io::proto::SiteKind::Population, io::proto::Population::Inh), program));
  }
  const auto body = io::proto::CreateSetPrograms(b, b.CreateVector(programs), start_tick);
  const auto cmd = io::proto::CreateCommand(b, seq, 0, io::proto::CommandBody::SetPrograms, body.Union());
  b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

// A SetController command: a controller of `kind` in `slot`, driving `output_channel`; the caller sets the rest.
io::command controller_command(std::uint8_t slot, fw::controller_kind kind, std::uint8_t output_channel) {
  io::command c;
  c.kind = io::command_kind::set_controller;
  c.channel = slot;
  c.controller.kind = kind;
  c.controller.output_channel = output_channel;
  return c;
}

io::command pi_clamp() {
  io::command c = controller_command(0, fw::controller_kind::pi_clamp, 0);
  fw::controller_params& k = c.controller;
  k.sensing_channel = 0;  // closed_loop.toml: the network's excitatory rate
  k.feature = fw::feature_kind::envelope;
  k.output_program.amplitude = 0.0;
  k.target = 8.0;
  k.kp = 5.0;
  k.ki_per_s = 100.0;
  k.output_min = 0.0;
  k.output_max = 200.0;
  return c;
}

// An External controller (the channel is driven by an off-device loop) whose watchdog fires 20 ms after the last
// command: the replay must feed it exactly where the live session did (its own Steps do not).
io::command external_controller() {
  io::command c = controller_command(1, fw::controller_kind::external, 2);
  c.controller.output_program.amplitude = 40.0;
  c.controller.timeout_us = 20'000;
  c.controller.ramp_down_us = 5'000;
  return c;
}

}  // namespace

TEST_CASE("a realtime session recorded by `record` replays bit-identically, and a doctored recording does not",
          "[replay][e2e]") {
  const fs::path dir = fs::temp_directory_path() / ("cortexloop_test_replay_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string pub = "ipc://" + (dir / "pub").string(), cmd = "ipc://" + (dir / "cmd").string();
  const fs::path rec = dir / "rec";

  // A small network (2000 cells) with the default config's ring and the closed-loop device, in real time.
  const child server = spawn_cortexloop({"serve", "--config", CORTEXLOOP_SOURCE_DIR "/configs/closed_loop.toml", "--set",
                                         "network.n_neurons=2000", "--seed", "3", "--mode", "realtime", "--duration",
                                         "60", "--pub", pub, "--commands", cmd, "--quiet"},
                                        dir / "serve");
  const child recorder =
      spawn_cortexloop({"record", "--out", rec.string(), "--pub", pub, "--commands", cmd, "--sync", "--quiet"}, dir / "record");
  // A failed REQUIRE leaves the test here: no server or recorder outlives it.
  struct reaper {
    std::vector<pid_t> pids;
    ~reaper() {
      for (const pid_t p : pids)
        if (waitpid(p, nullptr, WNOHANG) == 0) kill(p, SIGKILL), waitpid(p, nullptr, 0);
    }
  } reap{{server.pid, recorder.pid}};
  const auto subscribed_by = std::chrono::steady_clock::now() + 20s;
  while (read_file(recorder.err).find("record: subscribed") == std::string::npos &&
         std::chrono::steady_clock::now() < subscribed_by)
    std::this_thread::sleep_for(20ms);
  REQUIRE_THAT(read_file(recorder.err), Catch::Contains("record: subscribed"));

  {
    io::client c(cmd);
    auto send_raw = [&](const std::vector<std::uint8_t>& bytes, std::uint64_t seq) {
      c.send_raw(bytes);
      const auto ack = c.wait_ack(seq, 5s);
      REQUIRE(ack);
      INFO(ack->reason);
      REQUIRE(ack->accepted);
      return *ack;
    };
    auto send = [&](const io::command& command) {
      const auto ack = c.wait_ack(c.send(command), 5s);
      REQUIRE(ack);
      INFO(ack->reason);
      REQUIRE(ack->accepted);
      return *ack;
    };
    std::this_thread::sleep_for(60ms);
    send_raw(set_programs(1001, 150.0, -1), 1001);
    std::this_thread::sleep_for(40ms);
    send(pi_clamp());
    std::this_thread::sleep_for(30ms);
    io::command drive;
    drive.kind = io::command_kind::set_drive_rate;
    drive.value = 5.0;
    send(drive);
    std::this_thread::sleep_for(50ms);
    io::command reset;
    reset.kind = io::command_kind::reset;
    reset.seed = 11;
    const auto reset_ack = send(reset);
    CHECK(reset_ack.epoch == 1);
    std::this_thread::sleep_for(30ms);
    // After the reset: a program starting at tick 250 of the new epoch (later than now, even on a loaded
    // machine), and a clear.
    send_raw(set_programs(1002, 90.0, 250), 1002);
    std::this_thread::sleep_for(30ms);
    io::command clear;
    clear.kind = io::command_kind::clear_stimulation;
    clear.channel = 3;
    send(clear);
    std::this_thread::sleep_for(300ms);  // past tick 250 of the new epoch
    send(external_controller());
    // More than the replay's longest Step (1000 ticks) without a command: its watchdog fires once, live.
    std::this_thread::sleep_for(1300ms);
  }
  kill(recorder.pid, SIGTERM);
  REQUIRE(wait_exit(recorder, 20s) == 0);
  kill(server.pid, SIGTERM);
  REQUIRE(wait_exit(server, 20s) == 0);

  for (const char* f : {"session.toml", "session.json", "commands.jsonl", "readout_hash.npy", "ticks.npy"})
    REQUIRE(fs::exists(rec / f));
  const nlohmann::json session = nlohmann::json::parse(read_file(rec / "session.json"));
  CHECK(session["commands"].get<int>() >= 6);
  CHECK(session["first_command_index"] == 0);  // record --sync added no command; none was lost
  // The recording starts in epoch 0, before the session's Reset: epoch_at_start said 1, the epoch of the first Info
  // the recorder saw (published once a second, after the Reset). Break tried: the first Info's epoch -> 1.
  CHECK(session["epoch_at_start"] == 0);
  CHECK(session["command_gaps"] == 0);
  const std::string commands = read_file(rec / "commands.jsonl");
  for (const char* kind : {"\"SetPrograms\"", "\"SetController\"", "\"SetDriveRate\"", "\"Reset\"", "\"ClearStimulation\""})
    CHECK_THAT(commands, Catch::Contains(kind));
  CHECK(session["build"]["compiler"].get<std::string>().size() > 0);

  SECTION("the recording replays bit-identically") {
    const replay_result r = replay(rec);
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("bit-identical: "));
  }
  SECTION("one command's tick changed: the replay reports the first differing readout") {
    const fs::path doctored = dir / "tick";
    fs::copy(rec, doctored);
    change_first_set_programs(rec, doctored, [](nlohmann::json& j) {  // applied one tick later than it was
      j["tick"] = j["tick"].get<std::int64_t>() + 1;
    });
    const replay_result r = replay(doctored);
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("first differing readout"));
    CHECK_THAT(r.out, Catch::StartsWith("not bit-identical"));
  }
  // What a recorded ack says is compared too, not only the readouts after it (a mutation audit, 2026-12-07: the two
  // messages could be dropped unnoticed, the readouts' difference setting the exit code). Reference: the recording's
  // own acks.jsonl, which agrees with commands.jsonl's original line. Breaks tried: each difference() call removed ->
  // its message is missing, this fails.
  SECTION("a command's recorded ack changed, not its tick: the replay names what the ack said and what it says") {
    for (const bool flip_accepted : {false, true}) {
      const fs::path doctored = dir / (flip_accepted ? "accepted" : "tick_applied");
      fs::copy(rec, doctored);
      change_first_set_programs(rec, doctored, [flip_accepted](nlohmann::json& j) {
        if (flip_accepted) j["accepted"] = false;
        else j["tick_applied"] = j["tick_applied"].get<std::int64_t>() + 7;
      });
      const replay_result r = replay(doctored);
      INFO(r.err);
      CHECK(r.code == 1);
      CHECK_THAT(r.err, Catch::Contains(flip_accepted ? "refused in the recording, accepted in the replay"
                                                      : "in the recording, epoch 0 tick"));
      if (!flip_accepted) CHECK_THAT(r.err, Catch::Contains(": took effect at epoch 0 tick"));
    }
  }
  SECTION("one byte of the config changed: the replay reports it and the first differing readout") {
    const fs::path doctored = dir / "config";
    fs::copy(rec, doctored);
    std::string config = read_file(rec / "session.toml");
    const auto at = config.find("q_exc_nS = 1");
    REQUIRE(at != std::string::npos);
    config[at + 11] = '2';  // 1 nS -> 2 nS
    write_file(doctored / "session.toml", config);
    const replay_result r = replay(doctored);
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("session.toml is not the config the server published"));
    CHECK_THAT(r.err, Catch::Contains("first differing readout"));
  }
  SECTION("a stored array altered after the recording: the replay names its tick, file and column, exit 1") {
    // An outside audit (2026-12-07): 1 Hz added to one row of rates.npy replayed as "bit-identical", exit 0: only
    // readout_hash.npy was compared, not the arrays users analyse. Reference: the recorder's own float32 rows
    // (tools/readout_rows.hpp), altered here at row 100 (epoch 0) in one value each. Break tried: handle_readout
    // without compare_stored_rows (replay as before) -> exit 0, "bit-identical", for each file: fails.
    struct alteration {
      const char* file;
      std::size_t value;  // in row 100
      const char* says;
    };
    for (const alteration& m : {alteration{"rates.npy", 0, "rates.npy column 0: recorded "},
                                alteration{"vsdi.npy", 7, "vsdi.npy column 7: recorded "},
                                alteration{"device_sensing.npy", 6 + 2, "device_sensing.npy [1, 2]: recorded "}}) {
      const fs::path doctored = dir / (std::string("altered_") + m.file);
      fs::copy(rec, doctored);
      const io::npy_array a = io::read_npy(rec / m.file);
      REQUIRE(a.descr == "<f4");
      REQUIRE(a.shape[0] > 100);
      std::vector<float> values(a.size());
      std::memcpy(values.data(), a.data.data(), a.data.size());
      const std::size_t row = a.size() / a.shape[0];
      values[100 * row + m.value] += 1.0f;
      io::write_npy(doctored / m.file, values, a.shape);
      const replay_result r = replay(doctored);
      INFO(m.file << ": " << r.err);
      CHECK(r.code == 1);
      CHECK_THAT(r.out, Catch::StartsWith("not bit-identical"));
      CHECK_THAT(r.err, Catch::Contains("first differing readout: epoch 0, tick "));
      CHECK_THAT(r.err, Catch::Contains("(row 100 of ticks.npy)"));
      CHECK_THAT(r.err, Catch::Contains("its hash agrees with readout_hash.npy"));
      CHECK_THAT(r.err, Catch::Contains(m.says));
    }
    {
      // A float64 value is printed with the digits that tell it from the replay's: 1e-9 ms added to a t_ms read
      // "recorded 1555, replayed 1555" (%.9g; an outside audit, 2026-12-07). Break seen to fail: %.9g for doubles
      // too -> "ticks.npy column 2: recorded <t>, replayed <t>", not the 17 digits below.
      const fs::path doctored = dir / "altered_t_ms";
      fs::copy(rec, doctored);
      const io::npy_array a = io::read_npy(rec / "ticks.npy");
      std::vector<double> t(a.size());
      for (std::size_t i = 0; i < t.size(); ++i) t[i] = a.at<double>(i);
      t[3 * 100 + 2] += 1e-9;
      io::npy_row_writer w(doctored / "ticks.npy", {3}, "<f8");
      w.append(std::span<const double>(t));
      w.close();
      char says[96];
      std::snprintf(says, sizeof says, "ticks.npy column 2: recorded %.17g, replayed %.17g", t[3 * 100 + 2],
                    a.at<double>(3 * 100 + 2));
      const replay_result r = replay(doctored);
      INFO(r.err);
      CHECK(r.code == 1);
      CHECK_THAT(r.err, Catch::Contains("(row 100 of ticks.npy)"));
      CHECK_THAT(r.err, Catch::Contains(says));
    }
  }
  SECTION("rows record kept with NaN for what a readout lacked are named, not compared as a difference in the data") {
    // A readout that came without its device table is kept by record as a row of NaN in device_*.npy, listed in
    // summary.json's irregular_readouts, its hash that of the readout as received (an outside audit, 2026-12-07: the
    // device arrays were dropped). Reference: that recording's shape, made here at row 100. Break tried:
    // handle_readout not skipping the listed rows -> "first differing readout" and no word of the listed row: fails.
    const fs::path doctored = dir / "irregular_row";
    fs::copy(rec, doctored);
    const io::npy_array a = io::read_npy(rec / "device_sensing.npy");
    std::vector<float> values(a.size());
    std::memcpy(values.data(), a.data.data(), a.data.size());
    const std::size_t row_values = a.size() / a.shape[0];
    for (std::size_t k = 0; k < row_values; ++k) values[100 * row_values + k] = std::numeric_limits<float>::quiet_NaN();
    io::write_npy(doctored / "device_sensing.npy", values, a.shape);
    const io::npy_array h = io::read_npy(rec / "readout_hash.npy");
    std::vector<std::uint64_t> hashes(h.size());
    std::memcpy(hashes.data(), h.data.data(), h.data.size());
    hashes[100] ^= 1;  // the readout as received, without its device table
    io::npy_row_writer w(doctored / "readout_hash.npy", {}, "<u8");
    w.append(std::span<const std::uint64_t>(hashes));
    w.close();
    const io::npy_array t = io::read_npy(rec / "ticks.npy");
    nlohmann::json summary = nlohmann::json::parse(read_file(rec / "summary.json"));
    summary["irregular_readouts"] = {
        {"incomplete_rows", 1},
        {"rows", {{{"row", 100}, {"epoch", 0}, {"tick", t.at<double>(3 * 100 + 1)}, {"why", "no device table"}}}}};
    std::ofstream(doctored / "summary.json") << summary.dump(2);
    const replay_result r = replay(doctored);
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("1 readout(s) were recorded incomplete and not compared") &&
                          Catch::Contains("cannot be bit-identical"));
    CHECK_THAT(r.err, !Catch::Contains("first differing readout"));
  }
  // An array summary.json lists and the folder holds, of which no replayed readout has a row (an [aln] node's, beside
  // a session without one): what the recording claims the session produced, the replay did not. The only difference
  // here, so that nothing else sets the exit code (a mutation audit: the message's line removed, no test noticed).
  // Reference: record writes aln_rates.npy only when every readout carries the node (tools/readout_rows.hpp), which
  // this session's do not. Break seen to fail: the `stored, but no replayed readout has a row of it` difference()
  // removed -> "bit-identical", exit 0.
  SECTION("an array the recording lists that the replay produces no row of is named, exit 1") {
    const fs::path doctored = dir / "unreplayed_array";
    fs::copy(rec, doctored);
    fs::copy_file(rec / "rates.npy", doctored / "aln_rates.npy");  // a row a readout, [n, 2], as record writes it
    nlohmann::json summary = nlohmann::json::parse(read_file(rec / "summary.json"));
    REQUIRE(!summary["arrays"].contains("aln_rates.npy"));
    summary["arrays"]["aln_rates.npy"] = summary["arrays"]["rates.npy"];
    write_file(doctored / "summary.json", summary.dump(2));
    const replay_result r = replay(doctored);
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("aln_rates.npy: stored, but no replayed readout has a row of it"));
    CHECK_THAT(r.err, !Catch::Contains("first differing readout"));
    CHECK_THAT(r.out, Catch::StartsWith("not bit-identical: 1 difference(s)"));
  }
  // A readout the recorder lost is a row missing from every array, its tick counted in session.json's missing_ticks:
  // replay allows the rows' skips up to that count (with the stream's decimation), compares the rest, and refuses
  // the same rows when session.json counts no loss (a damaged ticks.npy). A mutation audit: record writing
  // missing_ticks as 0 survived (tests/test_record_cli.cpp checks what record writes; this, what replay makes of it).
  // Reference: the recording's own rows, row 100 (epoch 0, inside a run of consecutive ticks) taken out of each.
  // Break seen to fail: replay reading session.json's missing_ticks as 0 -> the first case exits 3 ("more than the
  // recorder lost (session.json missing_ticks 0)").
  SECTION("a readout the recorder lost and counted in session.json's missing_ticks: the rest replays bit-identically") {
    const io::npy_array t = io::read_npy(rec / "ticks.npy");
    REQUIRE(t.shape[0] > 101);
    REQUIRE(t.at<double>(3 * 99) == 0.0);
    REQUIRE(t.at<double>(3 * 101) == 0.0);
    REQUIRE(t.at<double>(3 * 101 + 1) - t.at<double>(3 * 99 + 1) == 2.0);  // 100 was the only readout between them
    const nlohmann::json summary = nlohmann::json::parse(read_file(rec / "summary.json"));
    REQUIRE(summary["decimated_ticks"] == 0);
    // No row kept incomplete (its row number would move with the row taken out).
    REQUIRE(summary.value("irregular_readouts", nlohmann::json::object()).value("incomplete_rows", 0) == 0);
    for (const std::int64_t counted : {1, 0}) {
      const fs::path doctored = dir / ("lost_readout_counted_" + std::to_string(counted));
      fs::copy(rec, doctored);
      for (const auto& [name, what] : io::array_descriptions())
        if (name != "spikes.npy" && fs::exists(rec / name)) write_without_row(rec, doctored, name, 100);
      nlohmann::json session = nlohmann::json::parse(read_file(rec / "session.json"));
      REQUIRE(session["missing_ticks"] == 0);  // record --sync lost nothing
      session["readouts"] = session["readouts"].get<std::int64_t>() - 1;
      session["missing_ticks"] = counted;
      write_file(doctored / "session.json", session.dump(2));
      const replay_result r = replay(doctored);
      INFO("missing_ticks " << counted << ": " << r.err);
      if (counted == 1) {
        CHECK(r.code == 0);
        CHECK_THAT(r.out, Catch::StartsWith("bit-identical: "));
      } else {
        CHECK(r.code == 3);
        CHECK_THAT(r.err, Catch::Contains("ticks.npy row 100 (epoch 0, tick ") &&
                              Catch::Contains("more than the recorder lost (session.json missing_ticks 0)"));
      }
    }
  }
  SECTION("a recording that cannot be replayed exits 3, naming why, never 1 (not bit-identical) of nothing compared") {
    // An outside check (2026-12-04): a session.json of the wrong types, a damaged .npy header and a command at tick
    // 1e15 exited 1 or stepped for ever; a recording started after a Reset stopped at its first command as "not
    // bit-identical" having compared nothing. Reference: docs/protocol.md's exit codes (3: not a replayable
    // recording). Breaks tried: the catch of std::exception removed -> exit 1 for the first two; the commands' tick
    // check removed -> the third does not end within the test's 60 s; the epoch check removed -> exit 1.
    // Rewrites the copy's ticks.npy with `change` applied to its values (the recorded header kept: same rows).
    auto edit_ticks = [&](const fs::path& d, const std::function<void(std::vector<double>&)>& change) {
      const std::string npy = read_file(rec / "ticks.npy");
      const std::size_t hlen = static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8);
      const std::size_t data = 10 + hlen;
      std::vector<double> t((npy.size() - data) / sizeof(double));
      std::memcpy(t.data(), npy.data() + data, t.size() * sizeof(double));
      change(t);
      write_file(d / "ticks.npy", npy.substr(0, data) + std::string(reinterpret_cast<const char*>(t.data()),
                                                                      t.size() * sizeof(double)));
    };
    // Rewrites the copy's NAME with its first `keep` rows: the recorded header with the new row count, its length kept
    // (numpy pads the header with spaces before its newline), and the data of those rows.
    auto keep_rows = [&](const fs::path& d, const std::string& name, std::size_t keep) {
      const std::string npy = read_file(rec / name);
      const std::size_t hlen = static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8);
      std::string header = npy.substr(10, hlen);
      const std::size_t from = header.find("'shape': (") + 10, to = header.find_first_of(",)", from);
      const std::size_t rows = std::stoull(header.substr(from, to - from));
      REQUIRE(keep <= rows);
      header.replace(from, to - from, std::to_string(keep));
      header.insert(header.size() - 1, std::string(hlen - header.size(), ' '));  // the same length
      const std::size_t row_bytes = rows == 0 ? 0 : (npy.size() - 10 - hlen) / rows;
      write_file(d / name, npy.substr(0, 10) + header + npy.substr(10 + hlen, keep * row_bytes));
    };
    const std::size_t readouts = io::read_npy(rec / "readout_hash.npy").size();
    // Rewrites the copy's commands.jsonl with `change` applied to line i (from 0).
    auto edit_commands = [&](const fs::path& d, const std::function<void(nlohmann::json&, std::size_t)>& change) {
      std::istringstream lines(read_file(rec / "commands.jsonl"));
      std::string text, line;
      for (std::size_t i = 0; std::getline(lines, line); ++i) {
        nlohmann::json j = nlohmann::json::parse(line);
        change(j, i);
        text += j.dump() + "\n";
      }
      write_file(d / "commands.jsonl", text);
    };
    // Puts a FIFO (fifo) or /dev/zero (a symbolic link to it) where a recording's file was.
    auto not_a_file = [](const fs::path& file, bool fifo) {
      fs::remove(file);
      if (fifo) REQUIRE(::mkfifo(file.c_str(), 0600) == 0);
      else fs::create_symlink("/dev/zero", file);
    };
    // The tick at which the session's Reset was applied, from its line of commands.jsonl.
    std::int64_t reset_tick = -1;
    {
      std::istringstream lines(read_file(rec / "commands.jsonl"));
      for (std::string line; std::getline(lines, line);)
        if (const nlohmann::json j = nlohmann::json::parse(line); j["kind"] == "Reset") reset_tick = j["tick"];
    }
    REQUIRE(reset_tick > 0);
    struct damage {
      const char* name;
      std::function<void(const fs::path&)> make;
      std::string says;
    };
    const std::vector<damage> damages = {
        {"fnv", [&](const fs::path& d) {
           nlohmann::json j = nlohmann::json::parse(read_file(rec / "session.json"));
           j["config_fnv1a"] = 5;
           write_file(d / "session.json", j.dump());
         }, "session.json: no \"config_fnv1a\" (a string)"},
        // A gutted session.json skipped the checks it feeds and replayed to "bit-identical", exit 0; a garbage one
        // exited 3 without naming the file (an outside check, 2026-12-06). Break tried: read_session's key checks
        // removed -> exit 0 for "{}".
        {"empty session", [&](const fs::path& d) { write_file(d / "session.json", "{}"); },
         "session.json: no \"commands\" (an integer), which record writes"},
        {"garbage session", [&](const fs::path& d) { write_file(d / "session.json", "not json"); },
         "session.json: not the JSON record writes"},
        {"shape", [&](const fs::path& d) {
           std::string npy = read_file(rec / "ticks.npy");
           const auto at = npy.find("'shape': (");
           REQUIRE(at != std::string::npos);
           npy.replace(at + 10, 1, "9999999999999999");  // a row count whose product with 3 columns wraps
           write_file(d / "ticks.npy", npy);
         }, "the shape holds more than the file"},
        {"negative shape", [&](const fs::path& d) {  // a negative entry: std::stoull read it as 2^64 - n
           std::string npy = read_file(rec / "ticks.npy");
           const auto at = npy.find("'shape': (");
           REQUIRE(at != std::string::npos);
           npy[at + 10] = '-';
           write_file(d / "ticks.npy", npy);
         }, "is not a whole number"},
        {"tick", [&](const fs::path& d) {
           std::istringstream lines(read_file(rec / "commands.jsonl"));
           std::string text, line;
           for (bool changed = false; std::getline(lines, line);) {
             nlohmann::json j = nlohmann::json::parse(line);
             if (!changed) j["tick"] = 1'000'000'000'000'000LL, changed = true;
             text += j.dump() + "\n";
           }
           write_file(d / "commands.jsonl", text);
         }, "a damaged commands.jsonl"},
        // A line's seq not the one its bytes carry waited out the whole --timeout for an ack that never came (an
        // outside audit, 2026-12-06). Break tried: read_commands' seq check removed -> "no ack for command", exit 1.
        {"seq", [&](const fs::path& d) {
           edit_commands(d, [](nlohmann::json& j, std::size_t i) {
             if (i == 0) j["seq"] = j["seq"].get<std::uint64_t>() + 1;
           });
         }, "but its command's bytes carry seq"},
        // A line's command padded past the 40 KiB a server takes (which it drops with the connection, applying
        // nothing): the replay waited out --timeout and said "no ack for command #0" (an outside audit, 2026-12-07).
        // Reference: kMaxCommand_bytes, the server's frame limit. Break tried: read_commands' size check removed ->
        // "no ack", exit 1, after the timeout.
        {"oversize command", [&](const fs::path& d) {
           edit_commands(d, [](nlohmann::json& j, std::size_t i) {
             if (i != 0) return;
             std::vector<std::uint8_t> bytes = *io::base64_decode(j["command"].get<std::string>());
             bytes.resize(static_cast<std::size_t>(io::kMaxCommand_bytes) + 1, 0);  // trailing bytes still verify
             j["command"] = io::base64_encode(bytes);
           });
         }, "over the 40960 a server takes"},
        // /dev/zero in a session file's or commands.jsonl's place was read for ever, the memory growing without end
        // (an outside audit, 2026-12-07). Reference: record writes regular files. Break tried: refuse_unless_file
        // emptied -> the replay reads /dev/zero until the test's timeout.
        {"session.toml a device", [&](const fs::path& d) { not_a_file(d / "session.toml", false); },
         "session.toml: not a regular file"},
        // A FIFO in a file's place blocked replay's open for ever (an outside check, 2026-12-07). Break tried: the
        // folder's scan at the start of run() removed -> the replay hangs until the test's timeout, this fails.
        {"ticks.npy a FIFO", [&](const fs::path& d) { not_a_file(d / "ticks.npy", true); },
         "ticks.npy: not a regular file"},
        {"summary.json a FIFO", [&](const fs::path& d) { not_a_file(d / "summary.json", true); },
         "summary.json: not a regular file"},
        {"commands.jsonl a device", [&](const fs::path& d) { not_a_file(d / "commands.jsonl", false); },
         "commands.jsonl: not a regular file"},
        // Two commands' ticks swapped, their indices kept: the later index now at an earlier tick than the replay has
        // reached (a mutation audit, 2026-12-07: no test held the order check). Reference: Applied.index orders the
        // commands as the engine met them (docs/protocol.md, topic applied). Break tried: `c.tick < tick_` dropped
        // from the order check -> the command is applied late, a difference (exit 1), this fails.
        {"commands out of order", [&](const fs::path& d) {
           std::istringstream lines(read_file(rec / "commands.jsonl"));
           std::vector<std::int64_t> ticks;
           std::vector<std::size_t> in_epoch_0;
           std::string line;
           for (std::size_t i = 0; std::getline(lines, line); ++i) {
             const nlohmann::json j = nlohmann::json::parse(line);
             ticks.push_back(j["tick"].get<std::int64_t>());
             if (j["epoch"] == 0) in_epoch_0.push_back(i);
           }
           std::size_t a = 0, b = 0;  // the first two of epoch 0 at different ticks
           for (std::size_t k = 1; k < in_epoch_0.size() && a == b; ++k)
             if (ticks[in_epoch_0[k]] != ticks[in_epoch_0[0]]) a = in_epoch_0[0], b = in_epoch_0[k];
           REQUIRE(a != b);
           edit_commands(d, [&](nlohmann::json& j, std::size_t i) {
             if (i == a) j["tick"] = ticks[b];
             if (i == b) j["tick"] = ticks[a];
           });
         }, "the commands before it lead to epoch 0 tick"},
        {"epoch", [&](const fs::path& d) {  // the recording's epoch 0 cut off: it starts at the session's Reset
           std::istringstream lines(read_file(rec / "commands.jsonl"));
           std::string text, line;
           while (std::getline(lines, line))
             if (nlohmann::json::parse(line)["epoch"] == 1) text += line + "\n";
           write_file(d / "commands.jsonl", text);
           const io::npy_array ticks = io::read_npy(rec / "ticks.npy");
           const io::npy_array hashes = io::read_npy(rec / "readout_hash.npy");
           std::vector<double> kept_ticks;
           std::vector<std::uint64_t> kept_hashes;
           for (std::size_t i = 0; i < hashes.size(); ++i)
             if (ticks.at<double>(3 * i) == 1.0) {
               for (std::size_t k = 0; k < 3; ++k) kept_ticks.push_back(ticks.at<double>(3 * i + k));
               kept_hashes.push_back(hashes.at<std::uint64_t>(i));
             }
           REQUIRE(!kept_hashes.empty());
           // ticks.npy is float64, which io::write_npy does not write: the recorded header with the new row count
           // (its length kept: numpy pads the header with spaces before its newline).
           std::string npy = read_file(rec / "ticks.npy");
           const std::size_t hlen = static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8);
           std::string header = npy.substr(10, hlen);
           const std::size_t a = header.find("'shape': (") + 10, b = header.find(',', a);
           const std::string rows = std::to_string(kept_hashes.size());
           REQUIRE(rows.size() <= b - a);
           header.replace(a, b - a, rows);
           header.insert(header.size() - 1, b - a - rows.size(), ' ');
           write_file(d / "ticks.npy", npy.substr(0, 10) + header +
                                           std::string(reinterpret_cast<const char*>(kept_ticks.data()),
                                                       kept_ticks.size() * sizeof(double)));
           io::write_npy(d / "readout_hash.npy", kept_hashes, {kept_hashes.size()});
         }, "Start the recorder before the session's first Reset"},
        // A Reset the recording says was refused leads to no epoch: the rows of epoch 1 after it are no session's (a
        // mutation audit: `c.reset && c.accepted` as `c.reset`, a refused Reset counted as an epoch, survived).
        // Reference: docs/protocol.md, a Reset raises the epoch when it is applied; a refused command changes nothing.
        // The line keeps its epoch_applied 1, so that only `accepted` tells. Break seen to fail: replay's epochs
        // counted from `c.reset` alone -> the replay runs, exit 1 ("refused in the recording, accepted in the
        // replay").
        {"refused Reset", [&](const fs::path& d) {
           edit_commands(d, [](nlohmann::json& j, std::size_t) {
             if (j["kind"] == "Reset") j["accepted"] = false;
           });
         }, "no accepted Reset of commands.jsonl leads to epoch 1 (it holds 0 accepted Reset(s))"},
        // A Reset the replay server refuses (its bytes given the seed 2^63, out of range, its seq kept) starts no
        // epoch in the replay either: the replay says the Reset was refused and names the next command, of epoch 1,
        // as beyond where the replay is, epoch 0 at the Reset's tick. Reference: the Reset's own line in
        // commands.jsonl (its tick). Break seen to fail: apply() taking a Reset's epoch and tick 0 whether or not it
        // was accepted -> "lead to epoch 0 tick 0".
        {"Reset refused by the replay", [&](const fs::path& d) {
           edit_commands(d, [](nlohmann::json& j, std::size_t) {
             if (j["kind"] != "Reset") return;
             flatbuffers::FlatBufferBuilder b;
             const auto body = io::proto::CreateReset(b, std::uint64_t{1} << 63);
             const auto cmd = io::proto::CreateCommand(b, j["seq"].get<std::uint64_t>(), 0,
                                                       io::proto::CommandBody::Reset, body.Union());
             b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()),
                      io::proto::MessageIdentifier());
             j["command"] = io::base64_encode({b.GetBufferPointer(), b.GetSize()});
           });
         }, "the commands before it lead to epoch 0 tick " + std::to_string(reset_tick)},
        // A command line written twice (index 0 twice): "commands #1 to #-1 were lost" and exit 1, as if compared (a
        // second outside check). Break tried: the duplicate check removed -> exit 1.
        {"index", [&](const fs::path& d) {
           std::istringstream lines(read_file(rec / "commands.jsonl"));
           std::string first;
           REQUIRE(std::getline(lines, first));
           write_file(d / "commands.jsonl", first + "\n" + read_file(rec / "commands.jsonl"));
         }, "command index 0 appears twice"},
        // A third outside check (2026-12-05): a tampered ticks.npy (a NaN, a last tick of 1e18: the replay stepped
        // for ever; rows out of order), a command moved to another epoch, an emptied commands.jsonl or one without
        // its last line, a tick of 139.5 and a two-dimensional readout_hash.npy were replayed and called "not
        // bit-identical" (exit 1) or "bit-identical" (exit 0). Breaks seen to fail: the ticks' checks removed -> the
        // NaN and out-of-order rows exit 1, the 1e18 row does not end within the test's 60 s; the count check
        // removed -> exit 1 for the emptied file; the command-order check back to a difference -> exit 1.
        {"tick NaN", [&](const fs::path& d) { edit_ticks(d, [](std::vector<double>& t) { t[4] = std::nan(""); }); },
         "ticks.npy row 1: epoch 0, tick nan"},
        {"tick 1e15", [&](const fs::path& d) { edit_ticks(d, [](std::vector<double>& t) { t[t.size() - 2] = 1e15; }); },
         "a damaged ticks.npy"},
        {"ticks out of order", [&](const fs::path& d) {
           edit_ticks(d, [](std::vector<double>& t) { std::swap(t[4], t[7]); });
         }, "does not come after the row before it"},
        {"command epoch", [&](const fs::path& d) {
           edit_commands(d, [](nlohmann::json& j, std::size_t i) { if (i == 0) j["epoch"] = 5; });
         }, "a damaged commands.jsonl"},
        {"emptied commands", [&](const fs::path& d) { write_file(d / "commands.jsonl", ""); },
         "commands.jsonl holds 0 command(s), session.json says the recorder wrote"},
        {"tick 139.5", [&](const fs::path& d) {
           edit_commands(d, [](nlohmann::json& j, std::size_t i) { if (i == 0) j["tick"] = j["tick"].get<double>() + 0.5; });
         }, "not a whole number"},
        // No readout at all (a recording stopped before its first one): "bit-identical: 0 ticks" and exit 0 (an
        // outside audit, 2026-12-06). Both arrays' headers given 0 rows, their data cut. Break tried: the check
        // removed -> exit 0.
        {"no readouts", [&](const fs::path& d) {
           for (const char* name : {"ticks.npy", "readout_hash.npy"}) keep_rows(d, name, 0);
         }, "holds no readout"},
        // A stored array cut short is not the recording's: compared with the replay it would be read past its end.
        // Break tried: open_stored_arrays' row count check removed -> exit 3 as "no row 10" (an out_of_range
        // message naming no cause): fails on the message.
        {"rates rows", [&](const fs::path& d) {
           const io::npy_array a = io::read_npy(rec / "rates.npy");
           std::vector<float> v(20);
           std::memcpy(v.data(), a.data.data(), v.size() * sizeof(float));
           io::write_npy(d / "rates.npy", v, {10, 2});
         }, "rates.npy: 10 rows, where ticks.npy has"},
        {"hash 2-d", [&](const fs::path& d) {
           const io::npy_array hashes = io::read_npy(rec / "readout_hash.npy");
           std::vector<std::uint64_t> h(hashes.size());
           for (std::size_t i = 0; i < h.size(); ++i) h[i] = hashes.at<std::uint64_t>(i);
           io::write_npy(d / "readout_hash.npy", h, {1, h.size()});
         }, "readout_hash.npy: dtype <u8, shape [1, "},
        // A fourth outside audit (2026-12-07) found these replayed as "bit-identical" (exit 0) or called a
        // difference (exit 1). Breaks seen to fail, each with replay_command.cpp as before the fix (its checks and
        // messages of 2026-12-07 removed): an array listed in summary.json's "arrays" deleted -> exit 0; an array it
        // does not list present -> exit 1 ("stored, but no replayed readout has a row of it"); summary.json deleted
        // -> exit 0; the last row removed from every array
        // (ticks.npy and readout_hash.npy with them: session.json's readouts not compared) -> exit 0; the last
        // row's tick raised by one (n x 999 skipped ticks allowed) -> exit 1; the last row's epoch past the
        // recording's Resets -> exit 1 ("never produced by the replay"); rates.npy as float64 -> exit 1; ticks.npy
        // as float32 -> exit 3 as "ticks.npy and readout_hash.npy do not match", naming no dtype.
        {"rates.npy deleted", [&](const fs::path& d) { fs::remove(d / "rates.npy"); },
         "rates.npy: missing, where summary.json's \"arrays\" lists it"},
        {"an array record did not write", [&](const fs::path& d) {
           fs::copy_file(rec / "rates.npy", d / "aln_rates.npy");
         }, "aln_rates.npy: in the folder, but not in summary.json's \"arrays\""},
        {"summary.json deleted", [&](const fs::path& d) { fs::remove(d / "summary.json"); }, "summary.json: missing"},
        {"last row removed everywhere", [&](const fs::path& d) {
           for (const auto& [name, what] : io::array_descriptions())
             if (name != "spikes.npy" && fs::exists(rec / name)) keep_rows(d, name, readouts - 1);
         }, "ticks.npy holds " + std::to_string(readouts - 1) + " rows, session.json says the recorder wrote " +
             std::to_string(readouts) + " readouts"},
        {"last tick + 1", [&](const fs::path& d) { edit_ticks(d, [](std::vector<double>& t) { t[t.size() - 2] += 1; }); },
         "ticks.npy row " + std::to_string(readouts - 1) + " (epoch 1, tick "},
        {"last epoch 2", [&](const fs::path& d) { edit_ticks(d, [](std::vector<double>& t) { t[t.size() - 3] = 2; }); },
         "no accepted Reset of commands.jsonl leads to epoch 2"},
        {"rates.npy float64", [&](const fs::path& d) {
           const io::npy_array a = io::read_npy(rec / "rates.npy");
           std::vector<double> v(a.size());
           for (std::size_t i = 0; i < v.size(); ++i) v[i] = a.at<float>(i);
           io::npy_row_writer w(d / "rates.npy", {2}, "<f8");
           w.append(std::span<const double>(v));
           w.close();
         }, "rates.npy: dtype <f8, shape [" + std::to_string(readouts) + ", 2], where record writes it as <f4, shape [n, 2]"},
        // The same values and element count in another shape: record writes rates.npy as simulate does, [n, 2]
        // (exc, inh; record --help), and [n, 2, 1] compared as equal (check_layout's comment: an outside audit,
        // 2026-12-07). Break tried (a mutation audit): check_layout comparing the row's element count instead of its
        // shape -> [n, 2, 1] passes as [n, 2] and the replay exits 0.
        {"rates.npy [n, 2, 1]", [&](const fs::path& d) {
           const io::npy_array a = io::read_npy(rec / "rates.npy");
           std::vector<float> v(a.size());
           for (std::size_t i = 0; i < v.size(); ++i) v[i] = a.at<float>(i);
           io::write_npy(d / "rates.npy", v, {a.shape[0], 2, 1});
         }, "rates.npy: dtype <f4, shape [" + std::to_string(readouts) + ", 2, 1], where record writes it as <f4, shape [n, 2]"},
        {"ticks.npy float32", [&](const fs::path& d) {
           const io::npy_array a = io::read_npy(rec / "ticks.npy");
           std::vector<float> v(a.size());
           for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(a.at<double>(i));
           io::write_npy(d / "ticks.npy", v, a.shape);
         }, "ticks.npy: dtype <f4, shape [" + std::to_string(readouts) + ", 3], where record writes it as <f8, shape [n, 3]"},
    };
    for (const damage& m : damages) {
      const fs::path doctored = dir / m.name;
      fs::copy(rec, doctored);
      m.make(doctored);
      const replay_result r = replay(doctored);
      INFO(m.name << ": " << r.err);
      CHECK(r.code == 3);
      CHECK_THAT(r.err, Catch::Contains(m.says));
    }
  }
  fs::remove_all(dir);
}
