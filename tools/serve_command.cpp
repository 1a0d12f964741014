#include "tools/serve_command.hpp"

#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/network/steps_network.hpp"
#include "io/aln_cache/engine_table.hpp"
#include "io/protocol/codec.hpp"
#include "io/config/config_loader.hpp"
#include "io/config/config_meanfield.hpp"
#include "io/server/server.hpp"
#include "tools/behind_real_time.hpp"
#include "tools/command_line_error.hpp"
#include "tools/default_config.hpp"
#include "tools/endpoint_option.hpp"
#include "tools/endpoints_file.hpp"
#include "tools/mpi_launch.hpp"
#include "tools/number_checks.hpp"
#include "tools/option_override.hpp"
#include "tools/setup_notice.hpp"
#include "tools/stop_request.hpp"

namespace cortexloop::tools {

namespace {

struct serve_options {
  std::string config = default_config("default.toml");
  std::vector<std::string> overrides;
  std::optional<std::string> duration_s, seed, threads;  // as typed (tools/option_override.hpp)
  std::string mode = "realtime";
  std::string pub = "tcp://127.0.0.1:5555";
  std::string commands = "tcp://127.0.0.1:5556";
  std::string endpoints_file;  // empty: none written
  int cpu = -1;
  int io_cpu = -1;
  bool mlock = false;
  int fifo = 0;
  std::optional<double> spin_us;
  bool rt = false;
  bool spikes = false;
  bool quiet = false;
  std::string curve_secret, curve_clients;  // CURVE: server.key_secret, the admitted clients' *.key files
  bool insecure = false;
};

// What a ring's Readout.ring_out_of_table counts, for the status line: an ALN ring's unit steps outside its cascade
// table; a Zerlaut ring's unit steps with mu_V outside the transfer function's fitted domain (mu_V between v_t and
// max_mu_v_mV, which the fit still reads, is the device's ring_units_out_of_domain). Empty without a ring.
std::string ring_count_label(const engine::engine_params& p) {
  if (!p.ring) return {};
  return p.ring->model == engine::meanfield::ring_model::aln ? "ALN ring outside its cascade table"
                                                               : "ring mu_V below E_inh or above max_mu_v_mV (rate read at the fit's edge)";
}

// `network_runs` false: the rates are those of a network the engine does not step (ring alone, ALN node alone),
// which would read 0 Hz as if it were silent; say so instead. `run_factor`: the pace to print instead of the window's,
// "over the run" (the final line's).
std::string status_text(const io::status_snapshot& s, bool network_runs, const std::string& ring_count,
                        std::optional<double> run_factor = std::nullopt) {
  const io::status_record& r = s.status;
  char pace[64];
  if (run_factor) std::snprintf(pace, sizeof pace, "%.2fx real time over the run", *run_factor);
  else std::snprintf(pace, sizeof pace, "%.2fx real time", r.realtime_factor);
  char rates[64] = "network not stepped";
  if (network_runs) std::snprintf(rates, sizeof rates, "exc %.2f Hz, inh %.2f Hz", r.rate_exc_Hz, r.rate_inh_Hz);
  // A stall past the resync is one miss however long; the ticks it dropped are said beside it.
  char skipped[48] = "";
  if (r.ticks_skipped > 0)
    std::snprintf(skipped, sizeof skipped, " (%lld ticks skipped)", static_cast<long long>(r.ticks_skipped));
  char text[320];
  std::snprintf(text, sizeof text,
                "tick %lld | %s | lateness p99 %.0f us, max %.0f us | misses %lld%s | %s | drops %lld | "
                "cpu rt %.0f%% io %.0f%%%s",
                static_cast<long long>(r.engine_tick), pace, r.lateness_p99_us, r.lateness_max_us,
                static_cast<long long>(r.deadline_misses), skipped, rates,
                static_cast<long long>(r.readout_drops + r.spike_drops + r.status_drops + r.safety_drops),
                r.rt_cpu_percent, s.io.io_cpu_percent,
                r.paused ? " | paused" : "");
  std::string line = text;
  // Rates read outside the model's domain look like any others on the stream (Readout.ring_out_of_table says it per
  // tick): said here too, from the first such step on (docs/meanfield.md, "Outside the fitted domain").
  if (r.ring_out_of_table_unit_steps > 0)
    line += " | " + ring_count + ": " + std::to_string(r.ring_out_of_table_unit_steps) + " unit steps";
  if (r.n_workers > 1) {  // each worker's compute per tick and how unequal the shares are
    line += " | workers";
    for (std::uint32_t w = 0; w < std::min<std::size_t>(r.n_workers, r.worker_compute_us.size()); ++w)
      line += " " + std::to_string(std::lround(r.worker_compute_us[w])) + " us";
    line += ", imbalance " + std::to_string(std::lround(100 * r.worker_imbalance)) + "%";
  }
  return line;
}

int run_serve(const serve_options& o) {
  // Each rank would start its own server on the same endpoints, each stepping the whole network.
  if (const int rc = refuse_launched_ranks("serve", "--threads"); rc != 0) return rc;
  // A fixed mmap threshold (glibc malloc; process-wide, so set here, before any thread starts). By default glibc
  // raises its mmap threshold (up to 32 MB) whenever a block it had mmapped is freed, and its trim threshold to
  // twice that. The first Reset frees the start-up engine's arrays (MBs each): every later engine then came
  // from a heap, and after the next Reset its memory stayed resident, free (measured: RSS +21 MB for good at
  // the third Reset, bench/reset_rss.py; bench/README.md, "bench/soak.py"). Setting the threshold turns that
  // adjustment off: every engine's large arrays are mmapped and unmapped when the engine is destroyed (on the
  // I/O thread), and the trim threshold stays at its 128 KiB default. 128 KiB is glibc's own starting value.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  // Every connection is a file descriptor of libzmq's I/O thread: at the soft limit (1024 by default) its accept()
  // fails, and libzmq 4.3 retries at once, a core at 100 % until connections close (an outside check, 2026-12-05:
  // 2000 idle TCP connections). The soft limit is raised to the hard one, which only root could lower.
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  // One endpoint for both sockets: the second bind failed with "Address already in use (another cortexloop serve, or
  // another program, has it ...)" while this server's own PUB socket held it (an outside check, 2026-12-06).
  // A wildcard (port ":*" or 0, "ipc://*") gives each socket its own (a review, 2026-12-06).
  if (o.pub == o.commands && !o.pub.ends_with(":*") && !o.pub.ends_with(":0") && o.pub != "ipc://*")
    throw command_line_error("--pub and --commands are both " + o.pub +
                             ": the PUB and the command socket each need an endpoint of their own");
  std::vector<std::string> overrides = o.overrides;
  // Through the config, checked as simulate's --duration is (simulation.duration_s's range; an outside audit,
  // 2026-12-06: serve ran 1 tick for --duration 1e-300 and took 1e300).
  if (o.duration_s) overrides.push_back(option_override("--duration", *o.duration_s, "simulation.duration_s"));
  if (o.seed) overrides.push_back(option_override("--seed", *o.seed, "simulation.seed"));
  // Through the config, so that the loader validates it (and names --threads as typed when it refuses it).
  if (o.threads) overrides.push_back(option_override("--threads", *o.threads, "simulation.threads"));
  check_keys_given_once(overrides);
  io::server_options so;
  // Read the file first (errors name its lines), then build from the resolved text: what the server publishes
  // for recorders (Info.config_toml) is then exactly what it runs.
  io::load_device_config(o.config, overrides, io::load_config(o.config, overrides));
  so.config_toml = io::resolved_config_text(o.config, overrides);
  const std::string resolved_name = o.config + " (resolved)";
  so.params = io::parse_config(so.config_toml, resolved_name);
  for (const std::string& note : io::meanfield_notes(so.params)) std::fprintf(stderr, "serve: note: %s\n", note.c_str());
  io::attach_aln_table(so.params, o.quiet);  // an [aln] node's cascade table: read (or made) now, never in a tick
  so.device = io::parse_device_config(so.config_toml, resolved_name, {}, so.params);
  so.mode = o.mode == "fast" ? io::run_mode::fast : o.mode == "stepped" ? io::run_mode::stepped : io::run_mode::realtime;
  so.pub_endpoint = o.pub;
  so.command_endpoint = o.commands;
  so.cpu = o.cpu;
  so.io_cpu = o.io_cpu;
  so.lock_memory = o.mlock;
  so.fifo_priority = o.fifo;
  so.spin_ns = std::llround(o.spin_us.value_or(0.0) * 1000.0);
  if (o.rt) {  // the settings bench/README.md measured best on a 2-vCPU VM; explicit flags win
    if (so.fifo_priority == 0) so.fifo_priority = 80;
    if (so.cpu < 0) so.cpu = static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) - 1;
    so.lock_memory = true;
    if (!o.spin_us) so.spin_ns = 100'000;
    // The I/O threads elsewhere: sharing the SCHED_FIFO CPU they received commands ~0.5 ms late and only 4 % of
    // a closed loop's commands made the next tick (83 % with them off it; bench/next_tick.py, bench/README.md).
    so.io_off_realtime_cpu = true;
  }
  so.stream_spikes = o.spikes;
  if (!o.curve_secret.empty() || !o.curve_clients.empty())
    so.curve = io::load_curve_server_keys(o.curve_secret, o.curve_clients);
  so.insecure = o.insecure;
  if (o.duration_s) so.max_ticks = std::llround(so.params.simulation.duration_s * 1000.0 / so.params.simulation.tick_ms);

  // SIGINT and SIGTERM are taken synchronously by this thread only: block them before any thread starts.
  const sigset_t stop_signals = block_stop_signals();

  // The set-up (a 100k network: a minute) takes Ctrl-C and SIGTERM at once (they waited for its end: an outside
  // check, 2026-12-04): the process ends, since nothing runs or has been written yet. Over when the set-up is;
  // the signals are then taken by the loop below.
  std::optional<stop_signal_watch> watch(std::in_place, stop_signals, "serve", "during set-up: nothing was served");
  setup_notice notice("serve", so.params.network, o.quiet);
  io::server srv(so);
  watch.reset();
  notice.done();
  if (!o.endpoints_file.empty()) write_endpoints_file(o.endpoints_file, srv.pub_endpoint(), srv.command_endpoint());
  srv.start();
  const bool tty = isatty(STDERR_FILENO);
  // Said even with --quiet: a server open to the network without authentication must not go unnoticed.
  for (const std::string& e : srv.insecure_endpoints())
    std::fprintf(stderr, "serve: WARNING: --insecure: %s is off loopback without CURVE: anyone who can reach it can "
                 "send commands and read the stream (docs/protocol.md, \"Security and threat model\")\n", e.c_str());
  if (!o.quiet && so.curve)
    std::fprintf(stderr, "serve: CURVE on both sockets, server key %s, %zu client key(s) admitted\n",
                 so.curve->server.public_key.c_str(), so.curve->clients.size());
  if (!o.quiet)
    std::fprintf(stderr, "serve: %s, %s mode, tick %.3g ms; readouts PUB %s, commands ROUTER %s; %s; Ctrl-C stops it\n",
                 o.config.c_str(), o.mode.c_str(), so.params.simulation.tick_ms, srv.pub_endpoint().c_str(),
                 srv.command_endpoint().c_str(), srv.scheduling().c_str());
  // Only when SCHED_FIFO was given: without it (no CAP_SYS_NICE) the line contradicted the scheduling just printed.
  if (!o.quiet && so.cpu >= 0 && srv.fifo_granted() && std::thread::hardware_concurrency() > 1)
    std::fprintf(stderr, "serve: the real-time thread runs on CPU %d under SCHED_FIFO: run closed-loop clients off it "
                 "(taskset -c with every CPU but %d), or their commands wait behind its spin and compute\n",
                 so.cpu, so.cpu);
  const bool network_runs = engine::steps_network(so.params);
  const std::string ring_label = ring_count_label(so.params);
  int status_count = 0;
  behind_real_time behind(so.params.simulation.tick_ms, so.fifo_priority > 0, srv.fifo_granted());
  int signal_number = 0;
  std::int64_t denied_reported = 0;
  while (!srv.finished()) {
    if (const std::int64_t denied = srv.curve_denied(); denied > denied_reported) {
      std::fprintf(stderr, "%sserve: CURVE refused %lld handshake(s) with an unlisted client key (last: %s)\n",
                   tty ? "\r\033[K" : "", static_cast<long long>(denied - denied_reported),
                   srv.curve_last_denied().c_str());
      denied_reported = denied;
    }
    const timespec timeout{0, 500'000'000};
    siginfo_t info;
    if (const int sig = sigtimedwait(&stop_signals, &info, &timeout); sig > 0) {
      signal_number = sig;
      break;
    }
    if (const auto s = srv.latest_status()) {
      if (const auto said = behind.check(s->status)) std::fprintf(stderr, "%s%s\n", tty ? "\r\033[K" : "", said->c_str());
    }
    if (o.quiet) continue;
    if (const auto s = srv.latest_status(); s && (tty || ++status_count % 20 == 0)) {
      std::fprintf(stderr, tty ? "\rserve: %s\033[K" : "serve: %s\n", status_text(*s, network_runs, ring_label).c_str());
      std::fflush(stderr);
    }
  }
  srv.request_stop();
  srv.wait();
  if (!o.quiet) {
    if (tty) std::fprintf(stderr, "\n");
    if (signal_number) std::fprintf(stderr, "serve: stopped by %s\n", stop_signal_name(signal_number));
    if (const auto s = srv.latest_status()) {
      // The line's lateness, rates and CPU are the last window's; the run's own lateness follows (a reader took the
      // final line for the run's figures: an outside check, 2026-12-04).
      const io::status_record& r = s->status;
      // The pace over the whole run, not the last window's: that window is partial (the time since the status before
      // it), and in realtime mode it may hold the catch-up of ticks that were late before it began, read as a pace
      // above 1 ("7.40x real time" under --rt: an outside audit, 2026-12-07; 14.6x after a 90 ms SIGSTOP just
      // before a status and a Ctrl-C 6 ms after it). Simulated time over the wall time since the loop started
      // (pauses included, as the ticks they hold back).
      const double run_factor = r.uptime_s > 0 ? static_cast<double>(r.server_ticks) *
                                                     so.params.simulation.tick_ms / 1000.0 / r.uptime_s
                                               : 0.0;
      std::fprintf(stderr, "serve: final (last window of %.3g s; the pace over the run): %s\n", r.window_s,
                   status_text(*s, network_runs, ring_label, run_factor).c_str());
      std::fprintf(stderr, "serve: run: %lld ticks, misses %lld, %lld ticks skipped at %lld resync%s, lateness p99 "
                   "%.0f us, p99.9 %.0f us, max %.0f us\n", static_cast<long long>(r.server_ticks),
                   static_cast<long long>(r.deadline_misses), static_cast<long long>(r.ticks_skipped),
                   static_cast<long long>(r.resyncs), r.resyncs == 1 ? "" : "s", r.lateness_total_p99_us,
                   r.lateness_total_p999_us,
                   r.lateness_total_max_us);
    }
  }
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto o = std::make_shared<serve_options>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Run the engine in lockstep with the wall clock; stream readouts (ZeroMQ PUB) and take commands "
               "(ZeroMQ ROUTER). Protocol: docs/protocol.md");
  cmd->add_option("--config", o->config, "TOML config")->check(CLI::ExistingFile)->capture_default_str();
  cmd->add_option("--set", o->overrides, "Override a config key: section.key=value (repeatable)");
  cmd->add_option("--duration", o->duration_s,
                  "Stop after this many simulated seconds, " + duration_range_help() +
                      " (default: run until Ctrl-C; overrides simulation.duration_s, which serve otherwise ignores)")
      ->check(positive_number)
      ->type_name("FLOAT");
  add_integer_text_option(cmd, "--seed", o->seed, "Seed (overrides simulation.seed)");
  add_integer_text_option(cmd, "--threads", o->threads, network_threads_help());
  cmd->add_option("--mode", o->mode, "realtime: paced by the wall clock; fast: as fast as possible; stepped: advance "
                                     "on Step commands")
      ->check(CLI::IsMember({"realtime", "fast", "stepped"}))
      ->capture_default_str();
  cmd->add_option("--pub", o->pub, "PUB endpoint (readouts, status, spikes, acks)")
      ->capture_default_str()
      ->check(endpoint_text("PUB", true));
  cmd->add_option("--commands", o->commands, "ROUTER endpoint (commands, acks)")
      ->capture_default_str()
      ->check(endpoint_text("command", true));
  cmd->add_option("--endpoints-file", o->endpoints_file,
                  "Once bound, write the two endpoints to this file (lines \"pub ENDPOINT\", \"commands ENDPOINT\"): "
                  "with --pub/--commands tcp://127.0.0.1:* the system picks free ports and a client reads them here");
  cmd->add_option("--cpu", o->cpu, "Pin the real-time thread to this CPU (with --threads 2 or more: pinned anyway, "
                                   "by default to the first usable CPU)")
      ->check(non_negative_number);
  cmd->add_option("--io-cpu", o->io_cpu,
                  "Pin the I/O thread and libzmq's I/O thread to this CPU (may be the real-time CPU: they run "
                  "while it sleeps)")
      ->check(non_negative_number);
  cmd->add_flag("--mlock", o->mlock, "Lock all memory (mlockall) to avoid page faults");
  cmd->add_option("--fifo", o->fifo, "Run the real-time thread with SCHED_FIFO at this priority (1-99), if permitted")
      ->check(CLI::Range(1, 99));
  cmd->add_option("--spin-us", o->spin_us, "Busy-wait this long before each deadline (tighter wake-up, more CPU)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_flag("--rt", o->rt,
                "Real-time settings in one flag: --fifo 80 --mlock --cpu <last CPU> --spin-us 100, and the I/O threads "
                "on the other CPUs (each one the system refuses is named in the status; explicit flags win)");
  cmd->add_flag("--spikes", o->spikes, "Stream spikes (topic \"spikes\") from the start");
  CLI::Option* curve_secret =
      cmd->add_option("--curve-secret", o->curve_secret,
                      "CURVE on both sockets: the server's secret key file (server.key_secret from `cortexloop keys`); "
                      "needs --curve-clients")
          ->check(CLI::ExistingFile);
  CLI::Option* curve_clients =
      cmd->add_option("--curve-clients", o->curve_clients,
                      "CURVE: a folder of the public key files (*.key) of the clients to admit, or one such file; "
                      "every other client gets nothing; needs --curve-secret")
          ->check(CLI::ExistingPath);
  // One without the other is a wrong command line (exit 2), not a failed command (it exited 1: an outside check,
  // 2026-12-05).
  curve_secret->needs(curve_clients);
  curve_clients->needs(curve_secret);
  cmd->add_flag("--insecure", o->insecure,
                "Allow --pub/--commands off loopback without CURVE (anyone who can reach them may send commands and "
                "read the stream); warns");
  cmd->add_flag("--quiet,-q", o->quiet, "No status line");
  cmd->footer("Exit codes: 0 stopped (Ctrl-C, SIGTERM or --duration); 1 it could not start (an endpoint it cannot "
              "bind, or off loopback without CURVE: named); 2 the command line or config is wrong (the option or key "
              "is named); 130 / 143 Ctrl-C / SIGTERM during a long set-up (nothing was served).");
  cmd->callback([o] {
    if (const int rc = run_serve(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
