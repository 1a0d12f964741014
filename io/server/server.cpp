#include "io/server/server.hpp"

#include "engine/cpu/denormals.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>

#include "engine/engine.hpp"
#include "io/config/config_device.hpp"
#include "io/security/endpoint.hpp"
#include "io/runtime/thread_setup.hpp"
#include "io/runtime/worker_placement.hpp"

namespace cortexloop::io {

namespace {
// libzmq's errors name neither the socket nor the endpoint ("Address already in use"): say both.
void bind_endpoint(zmq::socket_t& socket, std::string_view what, const std::string& endpoint) {
  check_endpoint(what, endpoint, true);
  if (const std::string kind = ipc_path_not_a_socket(endpoint); !kind.empty())
    throw std::runtime_error("cannot bind the " + std::string(what) + " socket to " + endpoint + ": the path is " +
                             kind + ", not a Unix socket (libzmq removes a path before it binds to it: a file there "
                             "would be deleted); choose a path that does not exist");
  if (ipc_path_in_use(endpoint))
    throw std::runtime_error("cannot bind the " + std::string(what) + " socket to " + endpoint +
                             ": Address already in use (a running program listens on it; binding would take the path "
                             "from it: choose another path)");
  if (is_ipv6_literal(endpoint)) socket.set(zmq::sockopt::ipv6, true);
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    std::string hint;
    if (e.num() == EADDRINUSE) hint = " (another cortexloop serve, or another program, has it; choose another port)";
    if (e.num() == ENODEV)
      hint = " (to bind, HOST is an IP address such as 127.0.0.1 or [::1], or an interface name such as lo; "
             "libzmq does not look up host names such as localhost when binding)";
    throw std::runtime_error("cannot bind the " + std::string(what) + " socket to " + endpoint + ": " + e.what() + hint);
  }
}

// Without CURVE, an endpoint off loopback would take anyone's commands and show anyone the stream: refused
// unless the user said --insecure. `as_bound`: the endpoint after libzmq resolved names and '*'.
void check_scope(std::string_view what, const std::string& endpoint, bool as_bound) {
  const endpoint_scope scope = scope_of(endpoint);
  if (scope == endpoint_scope::local || (!as_bound && scope == endpoint_scope::unknown)) return;
  throw std::invalid_argument("refusing to bind the " + std::string(what) + " socket to " + endpoint +
                              " without CURVE: it is not on loopback (127.0.0.0/8, ::1, interface lo) nor ipc://; " +
                              kCurveOptionsHint);
}
}  // namespace

server::server(server_options options) : opt_(std::move(options)), tick_ms_(opt_.params.simulation.tick_ms) {
  // Refused before the engine is built: an endpoint that is plainly off loopback, without CURVE or --insecure.
  const bool guard_scope = !opt_.curve && !opt_.insecure;
  if (guard_scope) {
    check_scope("PUB (--pub)", opt_.pub_endpoint, false);
    check_scope("command (--commands)", opt_.command_endpoint, false);
  }
  if (opt_.params.ring && opt_.params.ring->n_units > static_cast<std::int64_t>(kMaxRingUnits))
    // A config error (exit 2, as every other key's refusal): it exited 1, the code of a server that could not start,
    // and did not say why the config's own range is larger (an outside audit, 2026-12-07).
    throw config_error("ring.n_units = " + std::to_string(opt_.params.ring->n_units) + ": serve streams at most " +
                       std::to_string(kMaxRingUnits) + " ring units per readout (a config may have more for "
                       "`simulate`, which streams nothing)");
  auto eng = std::make_unique<engine::engine>(opt_.params);
  opt_.cpu = worker0_cpu(*eng, opt_.cpu);  // with helpers, the real-time thread is pinned too (docs/engine.md)
  // Helper workers on the CPUs after the real-time thread's (which is worker 0), with its scheduling class.
  workers_note_ = place_helpers_with_note(*eng, opt_.cpu, opt_.fifo_priority);
  if (!opt_.device) opt_.device = default_device(opt_.params);
  queues_ = std::make_unique<realtime_queues>();
  loop_ = std::make_unique<realtime_loop>(
      std::move(eng), *opt_.device, *queues_,
      realtime_options{.mode = opt_.mode, .max_ticks = opt_.max_ticks, .spin_ns = opt_.spin_ns,
                       .stream_spikes = opt_.stream_spikes});

  // libzmq starts its I/O thread with the first socket: its affinity has to be set before. libzmq aborts the process
  // when it cannot pin its thread, so a CPU this process cannot use is not passed on: configure_io_thread's
  // pin_thread names the refusal in the status instead, as for --cpu.
  if (opt_.io_cpu >= 0) {
    if (cpu_usable(opt_.io_cpu)) context_.set(zmq::ctxopt::thread_affinity_cpu_add, opt_.io_cpu);
  } else if (io_off_rt()) {
    const cpu_set_t others = cpus_except(opt_.cpu);
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &others)) context_.set(zmq::ctxopt::thread_affinity_cpu_add, c);
  }
  // CURVE: the ZAP handler is bound before any socket can take a connection (without one, libzmq would admit
  // every CURVE client that knows the server's public key).
  if (opt_.curve) {
    if (opt_.curve->clients.empty())
      throw std::invalid_argument("CURVE without client keys would admit nobody (--curve-clients DIR: their *.key files)");
    zap_ = std::make_unique<zap_handler>(context_, opt_.curve->clients);
  }
  zmq::socket_t pub(context_, zmq::socket_type::pub), router(context_, zmq::socket_type::router);
  if (opt_.curve) {
    apply_curve_server(pub, opt_.curve->server);
    apply_curve_server(router, opt_.curve->server);
  }
  pub.set(zmq::sockopt::sndhwm, opt_.pub_hwm);
  pub.set(zmq::sockopt::maxmsgsize, kMaxSubscription_bytes);
  pub.set(zmq::sockopt::rcvhwm, kSubscriptionQueuePerSubscriber);
  pub.set(zmq::sockopt::linger, 0);
  router.set(zmq::sockopt::linger, 0);
  router.set(zmq::sockopt::sndhwm, kAckQueuePerClient);
  // Unroutable or full: an error we count (ack_drops) instead of a silent drop.
  router.set(zmq::sockopt::router_mandatory, true);
  // The largest legitimate command is well under 1 kB today; 64 KiB leaves room for an arbitrary-waveform
  // upload (1024 float samples = 4 KiB plus framing) and keeps one client from making the I/O thread copy
  // and verify hundreds of MB. libzmq drops the connection of a peer that sends more (no ack).
  router.set(zmq::sockopt::maxmsgsize, kMaxCommand_bytes);
  router.set(zmq::sockopt::rcvhwm, kCommandQueuePerClient);
  bind_endpoint(pub, "PUB (--pub)", opt_.pub_endpoint);
  bind_endpoint(router, "command (--commands)", opt_.command_endpoint);
  pub_endpoint_ = pub.get(zmq::sockopt::last_endpoint);
  command_endpoint_ = router.get(zmq::sockopt::last_endpoint);
  for (const std::string& e : {pub_endpoint_, command_endpoint_})
    if (auto file = ipc_socket_file::of(e)) ipc_files_.push_back(std::move(*file));
  if (guard_scope) {  // a host or interface name resolved to a non-loopback address: refused before any I/O
    check_scope("PUB (--pub)", pub_endpoint_, true);
    check_scope("command (--commands)", command_endpoint_, true);
  }
  if (!opt_.curve)
    for (const std::string& e : {pub_endpoint_, command_endpoint_})
      if (scope_of(e) != endpoint_scope::local) insecure_endpoints_.push_back(e);

  io_thread_options io_opt;
  io_opt.limits = {.mode = opt_.mode, .dt_ms = opt_.params.simulation.dt_ms, .layout = opt_.device->layout,
                   .sensing = opt_.device->sensing};
  set_drive_limits(io_opt.limits, opt_.params);
  set_population_limits(io_opt.limits, opt_.params);
  io_opt.info = info_of(opt_.params, opt_.mode, io_opt.limits, kMaxCommand_bytes);
  io_opt.info.config_toml = opt_.config_toml;
  // Which server a stream is: `record --pub A --commands B` stored B's config and seed for A's readouts without a
  // word (an outside audit, 2026-12-07). Random, not the start time: two servers started in one second differ too.
  {
    std::random_device entropy;
    io_opt.info.session_id = (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
    if (io_opt.info.session_id == 0) io_opt.info.session_id = 1;  // 0 means "not known" (an older server)
  }
  io_opt.params = opt_.params;
  io_opt.dt_ms = opt_.params.simulation.dt_ms;
  io_opt.readout_every = opt_.readout_every;
  io_opt.zap = zap_.get();
  io_opt.worker_cpu = opt_.cpu;
  io_opt.worker_fifo = opt_.fifo_priority;
  io_ = std::make_unique<io_thread>(std::move(pub), std::move(router), *queues_, std::move(io_opt));
}

server::~server() {
  request_stop();
  wait();
}

void server::start() {
  rt_thread_ = std::thread([this] {
    engine::flush_denormals_to_zero();  // subnormal arithmetic would be a latency hazard on this thread
    queues_->realtime_tid.store(static_cast<int>(::gettid()), std::memory_order_relaxed);
    if (opt_.on_realtime_thread_start) opt_.on_realtime_thread_start();
    loop_->run();
  });
  // Names for top -H, perf and bench/realtime_latency.sh's per-thread CPU figures (at most 15 characters).
  pthread_setname_np(rt_thread_.native_handle(), "cl-realtime");
  scheduling_ = configure_realtime_thread();
  if (!workers_note_.empty()) scheduling_ += "; " + workers_note_;
  io_thread_ = std::thread([this] { io_->run(); });
  pthread_setname_np(io_thread_.native_handle(), "cl-io");
  if (const std::string io_note = configure_io_thread(); !io_note.empty()) scheduling_ += "; " + io_note;
  io_->set_scheduling(scheduling_);
  queues_->go.store(true, std::memory_order_release);
}

// Pinning, memory locking and SCHED_FIFO are requests: each one that the system refuses (typically EPERM
// without CAP_SYS_NICE / RLIMIT_RTPRIO or RLIMIT_MEMLOCK) is reported, and the server runs without it.
std::string server::configure_realtime_thread() {
  std::string note;
  auto add = [&note](const std::string& s) { note += (note.empty() ? "" : "; ") + s; };
  const pthread_t handle = rt_thread_.native_handle();
  if (opt_.fifo_priority > 0) {
    const int rc = set_fifo(handle, opt_.fifo_priority);
    fifo_granted_ = rc == 0;
    if (fifo_granted_)
      add("SCHED_FIFO " + std::to_string(opt_.fifo_priority));
    else
      add("SCHED_OTHER (SCHED_FIFO not permitted: " + std::string(std::strerror(rc)) +
          "; needs CAP_SYS_NICE or an rtprio limit, e.g. ulimit -r 90)");
  } else {
    add("SCHED_OTHER");
  }
  if (opt_.cpu >= 0) add(pin_with_note(handle, opt_.cpu));
  if (opt_.lock_memory) {
    if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
      add("memory locked");
    else
      add("memory not locked (mlockall: " + std::string(std::strerror(errno)) + "; raise ulimit -l)");
  }
  return note;
}

// The I/O threads (ours and libzmq's) may share the real-time thread's CPU: under SCHED_OTHER they only run
// while the real-time thread sleeps, and the other CPUs stay free for the clients.
bool server::io_off_rt() const noexcept {
  if (!opt_.io_off_realtime_cpu || opt_.io_cpu >= 0 || opt_.cpu < 0) return false;
  const cpu_set_t others = cpus_except(opt_.cpu);
  return CPU_COUNT(&others) > 0;
}

std::string server::configure_io_thread() {
  if (opt_.io_cpu < 0 && io_off_rt()) {
    const cpu_set_t others = cpus_except(opt_.cpu);
    if (zap_) pin_thread(zap_->native_handle(), others);  // CURVE's ZAP thread goes with the I/O threads
    if (const int rc = pin_thread(io_thread_.native_handle(), others); rc != 0)
      return "I/O not kept off CPU " + std::to_string(opt_.cpu) + " (" + std::strerror(rc) + ")";
    return "I/O off CPU " + std::to_string(opt_.cpu);
  }
  if (opt_.io_cpu < 0) return {};
  if (zap_) pin_thread(zap_->native_handle(), opt_.io_cpu);
  if (const int rc = pin_thread(io_thread_.native_handle(), opt_.io_cpu); rc != 0)
    return "I/O not pinned (CPU " + std::to_string(opt_.io_cpu) + ": " + pin_refusal(opt_.io_cpu, rc) + ")";
  return "I/O on CPU " + std::to_string(opt_.io_cpu);
}

void server::request_stop() noexcept {
  if (!queues_) return;
  queues_->stop.store(true, std::memory_order_relaxed);
  queues_->wake_realtime();  // an idle loop sleeps on command_fd
}

bool server::finished() const noexcept { return queues_->finished.load(std::memory_order_acquire); }

void server::wait() {
  if (rt_thread_.joinable()) rt_thread_.join();
  if (io_thread_.joinable()) io_thread_.join();
}

}  // namespace cortexloop::io
