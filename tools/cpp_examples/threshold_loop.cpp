// A closed loop in C++ against `cortexloop serve`, written from docs/protocol.md and the schema alone: it needs only
// the header flatc generates from io/protocol/schema/cortexloop.fbs (`flatc --cpp --scoped-enums`), cppzmq and
// FlatBuffers, none of cortexloop's libraries. Built as build/examples/threshold_loop; outside the tree:
//   flatc --cpp --scoped-enums -o gen/io/protocol/schema io/protocol/schema/cortexloop.fbs
//   g++ -std=c++20 -I gen tools/cpp_examples/threshold_loop.cpp -lzmq -o threshold_loop
// (the header lands where the #include below looks for it, so the file builds unchanged).
//
// The loop: the excitatory rate of every readout, smoothed over ~20 ticks; when it passes --threshold-hz, a DC of
// --amplitude-pa onto the inhibitory cells for --burst-ms (SetPrograms on channel 1), then --refractory-ticks of
// rest. The amplitude is clamped to the server's max_direct_pa (Info.safety), so a loop never asks for more than
// the device allows. Prints one line per trigger and a summary; exit 0 when every command was accepted, 1 when
// one was refused or no ack came, 2 for a wrong command line, 4 when the server did not answer GetInfo.
#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "io/protocol/schema/cortexloop_generated.h"

namespace p = cortexloop::protocol;

namespace {

struct options {
  std::string commands = "tcp://127.0.0.1:5556", pub = "tcp://127.0.0.1:5555";
  double threshold_hz = 6.0, amplitude_pa = 100.0, burst_ms = 100.0;
  long ticks = 3000, refractory_ticks = 500;
};

std::int64_t monotonic_ns() {  // the clock the server's *_ns fields use (docs/protocol.md, "Units and clocks")
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// One Message{Command} with this body, finished with the CXL1 identifier.
template <class Body>
void finish_command(flatbuffers::FlatBufferBuilder& b, std::uint64_t seq, p::CommandBody type, Body body) {
  const auto cmd = p::CreateCommand(b, seq, monotonic_ns(), type, body.Union());
  p::FinishMessageBuffer(b, p::CreateMessage(b, p::Payload::Command, cmd.Union()));
}

// A ZeroMQ frame's bytes need not be aligned (a body after its topic frame often is not), and FlatBuffers reads
// 4- and 8-byte fields in place: the message is copied to `storage` (malloc's alignment) before it is verified and
// read (UBSan: "load of misaligned address" otherwise). The result points into storage.
const p::Message* verified(const zmq::message_t& m, std::vector<std::uint8_t>& storage) {
  storage.assign(static_cast<const std::uint8_t*>(m.data()), static_cast<const std::uint8_t*>(m.data()) + m.size());
  flatbuffers::Verifier v(storage.data(), storage.size());
  return p::VerifyMessageBuffer(v) ? p::GetMessage(storage.data()) : nullptr;
}

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("threshold_loop [--commands EP] [--pub EP] [--threshold-hz 6] [--amplitude-pa 100] [--burst-ms 100]\n"
                  "               [--refractory-ticks 500] [--ticks 3000]\n"
                  "A closed loop on a running `cortexloop serve` (docs/protocol.md): DC onto the inhibitory cells when\n"
                  "the smoothed excitatory rate passes the threshold. Exit 0: every command accepted.\n");
      std::exit(0);
    }
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    char* end = nullptr;
    const double x = std::strtod(v, &end);
    const bool number = end != v && *end == '\0';
    if (a == "--commands") o.commands = v;
    else if (a == "--pub") o.pub = v;
    else if (a == "--threshold-hz" && number) o.threshold_hz = x;
    else if (a == "--amplitude-pa" && number && x > 0) o.amplitude_pa = x;
    else if (a == "--burst-ms" && number && x >= 0.001) o.burst_ms = x;
    else if (a == "--refractory-ticks" && number && x >= 0) o.refractory_ticks = static_cast<long>(x);
    else if (a == "--ticks" && number && x >= 1) o.ticks = static_cast<long>(x);
    else return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "threshold_loop: wrong command line (--help)\n");
    return 2;
  }
  zmq::context_t ctx;
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer), sub(ctx, zmq::socket_type::sub);
  // Queue commands only on a live connection, and give up after 2 s: otherwise a command sent while no server runs
  // is delivered to the next one (docs/protocol.md, "Connections and reconnects").
  dealer.set(zmq::sockopt::immediate, true);
  dealer.set(zmq::sockopt::sndtimeo, 2000);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(o.commands);
  sub.set(zmq::sockopt::subscribe, "readout");
  sub.set(zmq::sockopt::linger, 0);
  sub.connect(o.pub);

  flatbuffers::FlatBufferBuilder b;
  std::uint64_t seq = 1;
  // GetInfo: the tick and the device's limit for a direct site.
  finish_command(b, seq++, p::CommandBody::GetInfo, p::CreateGetInfo(b));
  zmq::message_t m;
  std::vector<std::uint8_t> info_bytes, ack_bytes, readout_bytes;  // aligned copies of the frames (see verified)
  dealer.set(zmq::sockopt::rcvtimeo, 5000);
  const p::Info* info = nullptr;
  if (dealer.send(zmq::buffer(b.GetBufferPointer(), b.GetSize()), zmq::send_flags::none) && dealer.recv(m))
    if (const p::Message* msg = verified(m, info_bytes); msg && msg->payload_as_Ack()) info = msg->payload_as_Ack()->info();
  if (!info) {
    std::fprintf(stderr, "threshold_loop: no answer to GetInfo from %s\n", o.commands.c_str());
    return 4;
  }
  const double max_pa = info->safety() ? info->safety()->max_direct_pa() : 0.0;
  const double amplitude_pa = std::min(o.amplitude_pa, max_pa);
  std::printf("server %s: %lld + %lld cells, tick %g ms, max_direct_pa %g: bursts of %g pA\n",
              info->version() ? info->version()->c_str() : "?", static_cast<long long>(info->n_exc()),
              static_cast<long long>(info->n_inh()), info->tick_ms(), max_pa, amplitude_pa);

  std::map<std::uint64_t, std::int64_t> trigger_tick;  // seq -> the readout tick that triggered it
  long readouts = 0, triggers = 0, accepted = 0, refused = 0;
  double smoothed_hz = 0;
  std::int64_t quiet_until = -1;
  zmq::pollitem_t items[] = {{sub.handle(), 0, ZMQ_POLLIN, 0}, {dealer.handle(), 0, ZMQ_POLLIN, 0}};
  while (readouts < o.ticks) {
    if (zmq::poll(items, 2, std::chrono::milliseconds(5000)) == 0) {
      std::fprintf(stderr, "threshold_loop: nothing from the server for 5 s\n");
      break;
    }
    zmq::message_t ack;
    while (dealer.recv(ack, zmq::recv_flags::dontwait))  // acks: matched to their command by seq
      if (const p::Message* msg = verified(ack, ack_bytes); msg && msg->payload_as_Ack()) {
        const p::Ack* a = msg->payload_as_Ack();
        if (a->accepted()) {
          ++accepted;
          std::printf("seq %llu: applied at tick %lld (triggered by readout %lld)\n",
                      static_cast<unsigned long long>(a->seq()), static_cast<long long>(a->tick_applied()),
                      static_cast<long long>(trigger_tick[a->seq()]));
        } else {
          ++refused;
          std::printf("seq %llu refused: %s\n", static_cast<unsigned long long>(a->seq()),
                      a->reason() ? a->reason()->c_str() : "");
        }
      }
    zmq::message_t topic, body;
    while (readouts < o.ticks && sub.recv(topic, zmq::recv_flags::dontwait)) {  // [topic, Message] frames
      if (!topic.more() || !sub.recv(body)) continue;
      const p::Message* msg = verified(body, readout_bytes);
      const p::Readout* r = msg ? msg->payload_as_Readout() : nullptr;
      if (!r || !r->exc()) continue;
      ++readouts;
      smoothed_hz += 0.05 * (r->exc()->rate_hz() - smoothed_hz);
      if (smoothed_hz <= o.threshold_hz || r->tick() < quiet_until) continue;
      b.Clear();
      const auto site = p::CreateSite(b, p::SiteKind::Population, p::Population::Inh);
      p::ProgramBuilder pb(b);
      pb.add_waveform(p::Waveform::Dc);
      pb.add_amplitude(amplitude_pa);
      pb.add_duration_us(static_cast<std::int64_t>(o.burst_ms * 1000.0));
      const auto prog = pb.Finish();
      const flatbuffers::Offset<p::ChannelProgram> one[] = {p::CreateChannelProgram(b, 1, site, prog)};
      finish_command(b, seq, p::CommandBody::SetPrograms, p::CreateSetPrograms(b, b.CreateVector(one, 1), -1));
      if (!dealer.send(zmq::buffer(b.GetBufferPointer(), b.GetSize()), zmq::send_flags::none)) {
        std::fprintf(stderr, "threshold_loop: the server has gone\n");
        return 1;
      }
      trigger_tick[seq++] = r->tick();
      ++triggers;
      quiet_until = r->tick() + o.refractory_ticks;
      std::printf("tick %lld: %.2f Hz > %g Hz: burst\n", static_cast<long long>(r->tick()), smoothed_hz,
                  o.threshold_hz);
    }
  }
  // The acks still on their way.
  dealer.set(zmq::sockopt::rcvtimeo, 2000);
  while (accepted + refused < triggers) {
    zmq::message_t ack;
    if (!dealer.recv(ack)) break;
    if (const p::Message* msg = verified(ack, ack_bytes); msg && msg->payload_as_Ack())
      ++(msg->payload_as_Ack()->accepted() ? accepted : refused);
  }
  std::printf("readouts=%ld triggers=%ld accepted=%ld refused=%ld\n", readouts, triggers, accepted, refused);
  return refused == 0 && accepted == triggers && readouts > 0 ? 0 : 1;
}
