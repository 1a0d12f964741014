// `cortexloop record` given a stream that does not fit the session it records (issue 9: "No input may make the
// recorder lose data: it writes what it received, whatever it receives"): a readout without its device table, a ring
// vector of another length, a readout sent twice, a message that fails verification, no Info of the server, an Info
// of another server than the stream's. Each found by an outside audit (2026-12-07) to pass with exit 0 and no word,
// data dropped or the folder left for replay to call damaged. A stand-in publisher in this process sends exactly
// those readouts; the references are the readouts it sent and record --help's exit codes.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "cortexloop_child.hpp"
#include "io/protocol/codec.hpp"
#include "io/recording/npy.hpp"

using namespace cortexloop;
using namespace std::chrono_literals;
using testing::child;
using testing::fresh_dir;
using testing::read_file;
using testing::spawn_cortexloop;
using testing::wait_exit;

namespace {

constexpr std::uint64_t kSession = 0x1234abcd5678ef01ull;
constexpr std::uint32_t kRingUnits = 4;

// What a readout of the stand-in carries.
struct readout_shape {
  bool device = true;
  std::uint32_t vsdi_values = kRingUnits;  // the ring's vsdi_percent (the other ring vectors have kRingUnits)
  std::uint64_t session_id = kSession;
  bool exc = true;  // the excitatory PopulationReadout
};

// A PUB socket (and, for GetInfo, a ROUTER) standing in for a server, and `record` subscribed to it, ending the
// recording 1 s after the last message (--timeout 1).
struct stand_in {
  explicit stand_in(const std::filesystem::path& dir, bool answer_commands = false) {
    pub.set(zmq::sockopt::linger, 0);
    pub.bind("tcp://127.0.0.1:*");
    router.set(zmq::sockopt::linger, 0);
    router.bind("tcp://127.0.0.1:*");
    // Without answer_commands, --commands leads nowhere: a GetInfo there gets no answer.
    const std::string commands = answer_commands ? router.get(zmq::sockopt::last_endpoint) : "tcp://127.0.0.1:9";
    rec = spawn_cortexloop({"record", "--out", (dir / "rec").string(), "--pub", pub.get(zmq::sockopt::last_endpoint),
                            "--commands", commands, "--timeout", "1"},
                           dir / "record");
    std::this_thread::sleep_for(300ms);  // the subscription reaches the socket
  }
  void send(std::string_view topic) {
    pub.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    pub.send(zmq::buffer(b.GetBufferSpan().data(), b.GetBufferSpan().size()));
    std::this_thread::sleep_for(2ms);
  }
  // The server's Info on the stream (once a second from a real server).
  void info(std::uint64_t session_id = kSession) {
    io::server_info i;
    i.session_id = session_id;
    i.tick_ms = 1.0;
    io::encode_info(b, i);
    send(io::kTopicInfo);
  }
  void readout(std::int64_t tick, readout_shape s = {}) {
    b.Clear();
    const std::vector<float> ring(kRingUnits, 2.5f), vsdi(s.vsdi_values, 0.5f);
    const auto exc_v = b.CreateVector(ring), inh_v = b.CreateVector(ring), stim_v = b.CreateVector(ring),
               vsdi_v = b.CreateVector(vsdi);
    flatbuffers::Offset<io::proto::DeviceReadout> device;
    if (s.device) {
      const std::vector<double> electrodes = {1.5, -1.5};
      device = io::proto::CreateDeviceReadout(b, 0, 0, b.CreateVector(electrodes));
    }
    const io::proto::PopulationReadout exc(3.0, -60.0, 10.0, 0.0, 0), inh(5.0, -62.0, 0.0, 0.0, 0);
    io::proto::ReadoutBuilder rb(b);
    rb.add_tick(tick);
    rb.add_t_ms(static_cast<double>(tick + 1));
    if (s.exc) rb.add_exc(&exc);
    rb.add_inh(&inh);
    rb.add_ring_rates_exc_hz(exc_v);
    rb.add_ring_rates_inh_hz(inh_v);
    rb.add_ring_stim_pa(stim_v);
    rb.add_vsdi_percent(vsdi_v);
    if (s.device) rb.add_device(device);
    rb.add_session_id(s.session_id);
    const auto r = rb.Finish();
    b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Readout, r.Union()), io::proto::MessageIdentifier());
    send(io::kTopicReadout);
  }
  // Answers the recorder's GetInfo (it asks at the end of a recording that saw no Info) with `info`.
  bool answer_get_info(const io::server_info& info, std::chrono::milliseconds wait) {
    zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, wait) == 0) return false;
    zmq::message_t identity, payload;
    if (!router.recv(identity) || !identity.more() || !router.recv(payload)) return false;
    const std::vector<std::uint8_t> bytes(static_cast<const std::uint8_t*>(payload.data()),
                                          static_cast<const std::uint8_t*>(payload.data()) + payload.size());
    const io::proto::Message* m = io::verify_message(bytes);
    if (!m || !m->payload_as_Command()) return false;
    io::ack_fields ack;
    ack.seq = m->payload_as_Command()->seq();
    ack.accepted = true;
    io::encode_ack(b, ack, &info);
    router.send(identity, zmq::send_flags::sndmore);
    router.send(zmq::buffer(b.GetBufferSpan().data(), b.GetBufferSpan().size()));
    return true;
  }
  zmq::context_t ctx;
  zmq::socket_t pub{ctx, zmq::socket_type::pub}, router{ctx, zmq::socket_type::router};
  flatbuffers::FlatBufferBuilder b;
  child rec;
};

nlohmann::json summary_of(const std::filesystem::path& dir) {
  return nlohmann::json::parse(read_file(dir / "rec" / "summary.json"));
}

}  // namespace

// D2: one readout of ten without its device table (tick 5). record dropped every device_*.npy, the nine good frames
// with them, exit 0, and only summary.json's device.recorded false said anything. Reference: the frames sent (nine
// with electrodes 1.5 and -1.5 uA, one without) and record --help (exit 4: a row kept, NaN there). Break tried: the
// device arrays kept only when every readout carried a frame (device_frames == readouts, as before) -> no
// device_electrodes.npy: fails at its REQUIRE.
TEST_CASE("record keeps the device arrays when a readout lacks its device table", "[cli][record][irregular]") {
  const auto dir = fresh_dir("record_no_device");
  stand_in server(dir);
  server.info();
  for (std::int64_t tick = 0; tick < 10; ++tick) server.readout(tick, {.device = tick != 5});
  const int code = wait_exit(server.rec, 15s);
  const std::string err = read_file(server.rec.err);
  INFO(err);
  CHECK(code == 4);
  CHECK_THAT(err, Catch::Contains("1 readout(s) lacked values") && Catch::Contains("row 5 (epoch 0, tick 5): no device table"));
  REQUIRE(std::filesystem::exists(dir / "rec" / "device_electrodes.npy"));
  const io::npy_array e = io::read_npy(dir / "rec" / "device_electrodes.npy");
  REQUIRE(e.shape == std::vector<std::size_t>{10, 2});
  CHECK(e.at<float>(0) == 1.5f);
  CHECK(std::isnan(e.at<float>(10)));  // row 5
  CHECK(std::isnan(e.at<float>(11)));
  CHECK(e.at<float>(12) == 1.5f);  // row 6
  const nlohmann::json s = summary_of(dir);
  CHECK(s.at("device").at("recorded") == true);
  CHECK(s.at("device").at("missing_frames") == 1);
  CHECK(s.at("irregular_readouts").at("incomplete_rows") == 1);
  CHECK(s.at("irregular_readouts").at("rows").at(0).at("tick") == 5);
  std::filesystem::remove_all(dir);
}

// D3: a ring vector one value short (vsdi_percent of 3 at tick 5), and a readout sent twice (tick 5 again). record
// exited 0 without a word, and replay called the folder damaged ("vsdi.npy: 9 rows, where ticks.npy has 10"; "does
// not come after the row before it"). Reference: the readouts sent. Breaks tried: add_ring's fallback left out (the
// short readout given ring_rows' rows only, as before) -> exit 0 and no warning: fails; the repeated-tick check left
// out -> exit 0 and no warning (11 readouts recorded): fails.
TEST_CASE("record keeps its arrays a row a readout when a readout does not fit the session", "[cli][record][irregular]") {
  SECTION("a ring vector of another length") {
    const auto dir = fresh_dir("record_short_ring");
    stand_in server(dir);
    server.info();
    for (std::int64_t tick = 0; tick < 10; ++tick) server.readout(tick, {.vsdi_values = tick == 5 ? 3u : kRingUnits});
    const int code = wait_exit(server.rec, 15s);
    const std::string err = read_file(server.rec.err);
    INFO(err);
    CHECK(code == 4);
    CHECK_THAT(err, Catch::Contains("vsdi_percent of 3 values, not the ring's 4"));
    const io::npy_array vsdi = io::read_npy(dir / "rec" / "vsdi.npy");
    REQUIRE(vsdi.shape == std::vector<std::size_t>{10, kRingUnits});
    CHECK(std::isnan(vsdi.at<float>(5 * kRingUnits)));
    CHECK(vsdi.at<float>(6 * kRingUnits) == 0.5f);
    const io::npy_array exc = io::read_npy(dir / "rec" / "ring_rates_exc.npy");
    REQUIRE(exc.shape == std::vector<std::size_t>{10, kRingUnits});
    CHECK(exc.at<float>(5 * kRingUnits) == 2.5f);  // the vectors that fit are kept
    CHECK(summary_of(dir).at("irregular_readouts").at("incomplete_rows") == 1);
    std::filesystem::remove_all(dir);
  }
  SECTION("a readout sent twice") {
    const auto dir = fresh_dir("record_repeated");
    stand_in server(dir);
    server.info();
    for (std::int64_t tick = 0; tick < 10; ++tick) {
      server.readout(tick);
      if (tick == 5) server.readout(tick);
    }
    const int code = wait_exit(server.rec, 15s);
    const std::string err = read_file(server.rec.err);
    INFO(err);
    CHECK(code == 4);
    CHECK_THAT(err, Catch::Contains("1 readout(s) came twice and were recorded once") && Catch::Contains("epoch 0 tick 5"));
    CHECK(io::read_npy(dir / "rec" / "ticks.npy").shape[0] == 10);
    const nlohmann::json s = summary_of(dir);
    CHECK(s.at("readouts") == 10);
    CHECK(s.at("irregular_readouts").at("repeated_readouts") == 1);
    std::filesystem::remove_all(dir);
  }
}

// A readout without its exc population (a server always sends both): record dereferenced it and crashed, its
// recording left as .partial files. Reference: the readouts sent (rates 3 and 5 Hz). Break tried: readout_rows.hpp
// without its stand-in for an absent population -> record killed by SIGSEGV: fails.
TEST_CASE("record keeps a readout without a population, NaN there", "[cli][record][irregular]") {
  const auto dir = fresh_dir("record_no_exc");
  stand_in server(dir);
  server.info();
  for (std::int64_t tick = 0; tick < 10; ++tick) server.readout(tick, {.exc = tick != 5});
  const int code = wait_exit(server.rec, 15s);
  const std::string err = read_file(server.rec.err);
  INFO(err);
  CHECK(code == 4);
  CHECK_THAT(err, Catch::Contains("row 5 (epoch 0, tick 5): no exc population"));
  const io::npy_array rates = io::read_npy(dir / "rec" / "rates.npy");
  REQUIRE(rates.shape == std::vector<std::size_t>{10, 2});
  CHECK(std::isnan(rates.at<float>(10)));
  CHECK(rates.at<float>(11) == 5.0f);
  CHECK(rates.at<float>(12) == 3.0f);
  std::filesystem::remove_all(dir);
}

// Minor: a message on the stream that fails FlatBuffers verification was dropped without a count. Reference: the
// two such messages sent. Break tried: the client's count left out (unverified_messages_ not raised) -> exit 0 and
// no warning: fails.
TEST_CASE("record counts the stream messages that fail verification", "[cli][record][irregular]") {
  const auto dir = fresh_dir("record_unverified");
  stand_in server(dir);
  server.info();
  for (std::int64_t tick = 0; tick < 10; ++tick) {
    server.readout(tick);
    if (tick == 3 || tick == 7) {
      const std::string garbage(200, '\x5a');
      server.pub.send(zmq::buffer(std::string_view(io::kTopicReadout)), zmq::send_flags::sndmore);
      server.pub.send(zmq::buffer(garbage));
    }
  }
  const int code = wait_exit(server.rec, 15s);
  const std::string err = read_file(server.rec.err);
  INFO(err);
  CHECK(code == 4);
  CHECK_THAT(err, Catch::Contains("2 message(s) on") && Catch::Contains("failed FlatBuffers verification"));
  CHECK(summary_of(dir).at("unverified_messages") == 2);
  CHECK(summary_of(dir).at("readouts") == 10);
  std::filesystem::remove_all(dir);
}

// D4: a server gone before its first Info reached the recorder (it publishes one a second) left no session.toml; record
// exited 0 and replay then said only "session.toml: missing". Reference: record --help (exit 6: no Info, not
// replayable). Break tried: the exit 6 left out (`if (!rec.first_info) return 6;`) -> exit 0: fails.
TEST_CASE("record says a recording without the server's Info cannot be replayed", "[cli][record][irregular]") {
  const auto dir = fresh_dir("record_no_info");
  stand_in server(dir);  // --commands leads nowhere: the GetInfo at the end is not answered
  for (std::int64_t tick = 0; tick < 10; ++tick) server.readout(tick);
  const int code = wait_exit(server.rec, 20s);
  const std::string err = read_file(server.rec.err);
  INFO(err);
  CHECK(code == 6);
  CHECK_THAT(err, Catch::Contains("no Info of the recorded server") && Catch::Contains("cannot re-run it"));
  CHECK_FALSE(std::filesystem::exists(dir / "rec" / "session.toml"));
  CHECK(summary_of(dir).at("session").at("replayable") == false);
  CHECK(io::read_npy(dir / "rec" / "ticks.npy").shape[0] == 10);  // what arrived is written
  // replay names why rather than a missing file.
  child replay = spawn_cortexloop({"replay", (dir / "rec").string()}, dir / "replay");
  CHECK(wait_exit(replay, 20s) == 3);
  CHECK_THAT(read_file(replay.err), Catch::Contains("record received no Info of the server it recorded"));
  std::filesystem::remove_all(dir);
}

// D5: --pub of one server, --commands of another, a recording shorter than the Info period: the second's config and
// seed were stored for the first's readouts without a check, exit 0. Reference: the session ids the stand-in gives
// its readouts and its GetInfo answer. Break tried: check_session's comparison left out (never foreign) -> exit 0 and
// no word of the other server: fails.
TEST_CASE("record refuses the Info of another server than the stream's", "[cli][record][irregular]") {
  const auto dir = fresh_dir("record_foreign_info");
  stand_in server(dir, true);
  for (std::int64_t tick = 0; tick < 10; ++tick) server.readout(tick);
  io::server_info other;
  other.session_id = 0x9999;
  other.seed = 77;
  other.config_toml = "[simulation]\ndt_ms = 0.1\n";
  REQUIRE(server.answer_get_info(other, 10s));
  const int code = wait_exit(server.rec, 20s);
  const std::string err = read_file(server.rec.err);
  INFO(err);
  CHECK(code == 6);
  CHECK_THAT(err, Catch::Contains("is of another server (session 0000000000009999) than the readouts recorded from --pub") &&
                      Catch::Contains("session 1234abcd5678ef01"));
  CHECK_FALSE(std::filesystem::exists(dir / "rec" / "session.toml"));
  const nlohmann::json session = nlohmann::json::parse(read_file(dir / "rec" / "session.json"));
  CHECK_FALSE(session.contains("seed"));
  CHECK(summary_of(dir).at("session").at("foreign_info") == true);
  std::filesystem::remove_all(dir);
}
