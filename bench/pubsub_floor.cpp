// The peer for "readout publish -> receive": a bare ZeroMQ PUB -> SUB pair between two processes on this
// machine, with nothing of cortexloop in between. The publisher wakes at absolute deadlines one period
// apart (as the real-time thread does), stamps CLOCK_MONOTONIC into a message of the readout's size and
// sends it from the waking thread itself; the subscriber polls and receives as a client would and records
// receive - send. Whatever latency this pair shows is the floor the machine and libzmq set; the server's
// figure over this one is the cost of its own path (real-time thread -> SPSC queue -> I/O thread -> PUB).
//
//   bench/pubsub_floor --duration 60 [--endpoint tcp://127.0.0.1:5599] [--size 1816] [--period-us 1000]
//                      [--cpu N] [--fifo PRIO] [--json FILE]
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "bench/parse_args.hpp"
#include "io/runtime/clock.hpp"
#include "io/runtime/latency_histogram.hpp"
#include "io/runtime/thread_setup.hpp"
#include "io/server/ipc_socket_file.hpp"
#include "tools/number_checks.hpp"

namespace {

using cortexloop::io::monotonic_ns;

struct options {
  double duration_s = 60;
  std::string endpoint = "tcp://127.0.0.1:5599";
  int size_bytes = 1816;  // an encoded readout of the default config (network + 100-unit ring), as received
  int period_us = 1000;
  int cpu = -1;
  int fifo = 0;
  bool mlock = false;
  int zmq_cpu = -1;
  std::string json;
};

constexpr std::int64_t kSettle_ns = 500'000'000;  // PUB/SUB "slow joiner": let the subscription reach the publisher

// The publisher: only its sending thread takes the scheduling options, as only the server's real-time
// thread does.
int publish(const options& o, int ready_fd, int bound_fd) {
  zmq::context_t ctx;
  if (o.zmq_cpu >= 0) ctx.set(zmq::ctxopt::thread_affinity_cpu_add, o.zmq_cpu);
  zmq::socket_t pub(ctx, zmq::socket_type::pub);
  pub.set(zmq::sockopt::linger, 0);
  // The subscriber connects only once this bind has succeeded: with the endpoint taken by another run, it measured
  // that run's publisher (an outside check, 2026-12-05).
  // libzmq binds an ipc:// path another program listens on by unlinking its file: refused here, as serve does.
  if (cortexloop::io::ipc_path_in_use(o.endpoint)) {
    std::fprintf(stderr, "pubsub_floor: %s: another program listens on it (--endpoint)\n", o.endpoint.c_str());
    (void)!write(bound_fd, "x", 1);
    return 1;
  }
  try {
    pub.bind(o.endpoint);
  } catch (const zmq::error_t& e) {
    // "another run on it?" only when the address is taken: `--endpoint foo://bar` was asked it too (an outside audit).
    std::fprintf(stderr, "pubsub_floor: cannot bind %s: %s (%s--endpoint)\n", o.endpoint.c_str(), e.what(),
                 e.num() == EADDRINUSE ? "another run on it? " : "");
    (void)!write(bound_fd, "x", 1);
    return 1;
  }
  // An ipc:// socket file is removed when this function returns (libzmq 4.3 leaves its own).
  const std::string bound_endpoint = pub.get(zmq::sockopt::last_endpoint);
  const auto socket_file = cortexloop::io::ipc_socket_file::of(bound_endpoint);
  // "b", then the endpoint bound, '\0'-ended: a wildcard port (tcp://127.0.0.1:*) is known only now, and the
  // subscriber connected to the wildcard itself and died in an uncaught zmq::error_t.
  if (write(bound_fd, "b", 1) != 1 ||
      write(bound_fd, bound_endpoint.c_str(), bound_endpoint.size() + 1) != static_cast<ssize_t>(bound_endpoint.size() + 1))
    return 1;
  // Only now, with libzmq's own I/O thread started under default scheduling (as in the server, whose
  // context is made on the main thread), does this sending thread take the real-time settings.
  if (o.cpu >= 0)
    if (const int rc = cortexloop::io::pin_thread(pthread_self(), o.cpu); rc != 0)
      std::fprintf(stderr, "pubsub_floor: not pinned to CPU %d: %s\n", o.cpu, std::strerror(rc));
  if (o.fifo > 0)
    if (const int rc = cortexloop::io::set_fifo(pthread_self(), o.fifo); rc != 0)
      std::fprintf(stderr, "pubsub_floor: SCHED_FIFO not permitted: %s\n", std::strerror(rc));
  // --mlock as serve's (realtime_latency.sh passes it with the server's; only --fifo locked memory before, so a server
  // run with --mlock alone had a floor that did not: a reviewer, 2026-12-06).
  if ((o.fifo > 0 || o.mlock) && mlockall(MCL_CURRENT | MCL_FUTURE) != 0) std::perror("pubsub_floor: mlockall");
  char go;
  if (read(ready_fd, &go, 1) != 1) return 1;  // the subscriber has connected
  std::vector<std::uint8_t> payload(static_cast<std::size_t>(o.size_bytes), 0x5a);
  const std::int64_t period = static_cast<std::int64_t>(o.period_us) * 1000;
  std::int64_t deadline = monotonic_ns() + kSettle_ns;
  const std::int64_t end = deadline + static_cast<std::int64_t>(o.duration_s * 1e9);
  for (; deadline < end; deadline += period) {
    cortexloop::io::sleep_until_ns(deadline);
    const std::int64_t now = monotonic_ns();
    std::memcpy(payload.data(), &now, sizeof now);
    pub.send(zmq::buffer("readout", 7), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    pub.send(zmq::buffer(payload), zmq::send_flags::dontwait);
  }
  const std::int64_t stop = -1;
  std::memcpy(payload.data(), &stop, sizeof stop);
  for (int i = 0; i < 3; ++i) {  // the end marker, repeated in case one is dropped
    pub.send(zmq::buffer("readout", 7), zmq::send_flags::sndmore);
    pub.send(zmq::buffer(payload));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

int subscribe(const options& o, int ready_fd) {
  zmq::context_t ctx;
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::subscribe, "readout");
  sub.connect(o.endpoint);
  if (write(ready_fd, "g", 1) != 1) return 1;
  cortexloop::io::latency_histogram hist;
  zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
  zmq::message_t topic, body;
  std::int64_t n = 0;
  const auto give_up = std::chrono::milliseconds(static_cast<long>(o.duration_s * 1000) + 10'000);
  for (;;) {
    if (zmq::poll(&item, 1, give_up) == 0) {
      std::fprintf(stderr, "pubsub_floor: no message for %.0f s, giving up\n", give_up.count() / 1000.0);
      return 1;
    }
    while (sub.recv(topic, zmq::recv_flags::dontwait)) {
      if (!sub.recv(body)) continue;
      const std::int64_t recv_ns = monotonic_ns();
      std::int64_t sent_ns;
      std::memcpy(&sent_ns, body.data(), sizeof sent_ns);
      if (sent_ns < 0) {
        std::printf("pubsub_floor: %s, %d-byte messages every %d us, %lld received\n", o.endpoint.c_str(),
                    o.size_bytes, o.period_us, static_cast<long long>(n));
        std::printf("publish -> receive (us): p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", hist.percentile_us(0.5),
                    hist.percentile_us(0.99), hist.percentile_us(0.999), hist.max_us());
        if (!o.json.empty()) {
          std::ofstream f(o.json);
          f << "{\"endpoint\": \"" << o.endpoint << "\", \"n\": " << n << ", \"size_bytes\": " << o.size_bytes
            << ", \"period_us\": " << o.period_us << ", \"p50_us\": " << hist.percentile_us(0.5)
            << ", \"p99_us\": " << hist.percentile_us(0.99) << ", \"p999_us\": " << hist.percentile_us(0.999)
            << ", \"max_us\": " << hist.max_us() << "}\n";
          f.close();
          if (!f) {  // checked writable before the run; a full disk can still fail here
            std::fprintf(stderr, "pubsub_floor: could not write --json %s: %s\n", o.json.c_str(), std::strerror(errno));
            return 1;
          }
        }
        return 0;
      }
      hist.record(recv_ns - sent_ns);
      ++n;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"Latency floor of a bare ZeroMQ PUB -> SUB pair between two processes (the peer of the server's "
               "readout publish -> receive figure)"};
  // The checks' messages say what is wrong: CLI::PositiveNumber said "Value 0 not in range 0.000000 to 1797..." (an
  // outside audit).
  using cortexloop::tools::number_in;
  using cortexloop::tools::non_negative_number;
  app.add_option("--duration", o.duration_s, "Seconds of messages")
      ->check(cortexloop::tools::positive_number)
      ->capture_default_str();
  app.add_option("--endpoint", o.endpoint, "Endpoint the publisher binds (tcp://127.0.0.1:PORT or ipc://PATH)")->capture_default_str();
  app.add_option("--size", o.size_bytes, "Message size in bytes")->check(CLI::Range(8, 1 << 20))->capture_default_str();
  app.add_option("--period-us", o.period_us, "Microseconds between messages")->check(CLI::Range(10, 1'000'000))->capture_default_str();
  app.add_option("--cpu", o.cpu, "Pin the publisher to this CPU")->check(non_negative_number);
  app.add_option("--fifo", o.fifo, "Publisher under SCHED_FIFO at this priority, with mlockall")->check(number_in(0, 99))->capture_default_str();
  app.add_flag("--mlock", o.mlock, "Lock the process's memory (mlockall), as serve --mlock");
  app.add_option("--zmq-cpu", o.zmq_cpu, "Pin the publisher's libzmq I/O thread to this CPU")->check(non_negative_number);
  app.add_option("--json", o.json, "Also write the figures to this JSON file");
  cortexloop::tools::refuse_bad_numbers(app);  // --duration inf: no end
  CORTEXLOOP_BENCH_PARSE(app, argc, argv);
  // The output before the run: an unwritable --json was exit 0 with nothing written and no word (an outside check,
  // 2026-12-05).
  if (!o.json.empty()) {
    std::FILE* f = std::fopen(o.json.c_str(), "a");
    if (!f) {
      std::fprintf(stderr, "pubsub_floor: cannot write --json %s: %s\n", o.json.c_str(), std::strerror(errno));
      return 2;
    }
    std::fclose(f);
  }

  int fds[2], bound[2];
  if (pipe(fds) != 0 || pipe(bound) != 0) return 1;
  const pid_t parent = getpid();
  const pid_t child = fork();  // before any ZeroMQ context exists: contexts do not survive fork
  if (child < 0) return 1;
  if (child == 0) {
    // The publisher ends with this process: a SIGTERM to it (realtime_latency.sh stopped) left the publisher sending
    // to nobody for the rest of --duration (an outside audit).
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(1);
    close(fds[1]);
    close(bound[0]);
    _exit(publish(o, fds[0], bound[1]));
  }
  close(fds[0]);
  close(bound[1]);
  char bound_ok = 0;
  if (read(bound[0], &bound_ok, 1) != 1 || bound_ok != 'b') {  // the publisher said why
    waitpid(child, nullptr, 0);
    return 1;
  }
  options bound_o = o;  // the endpoint as bound (a wildcard port resolved)
  bound_o.endpoint.clear();
  for (char c; read(bound[0], &c, 1) == 1 && c != '\0';) bound_o.endpoint += c;
  if (bound_o.endpoint.empty()) {  // the publisher bound but could not say where
    std::fprintf(stderr, "pubsub_floor: the publisher did not pass back the endpoint it bound\n");
    waitpid(child, nullptr, 0);
    return 1;
  }
  const int rc = subscribe(bound_o, fds[1]);
  int status = 0;
  waitpid(child, &status, 0);
  return rc != 0 ? rc : (WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}
