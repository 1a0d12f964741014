#include "tools/probe_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/client/client.hpp"
#include "tools/curve_options.hpp"
#include "tools/endpoint_option.hpp"
#include "tools/number_checks.hpp"
#include "tools/stop_request.hpp"
#include "io/runtime/clock.hpp"

namespace cortexloop::tools {

namespace {

struct probe_options {
  std::string commands = "tcp://127.0.0.1:5556";
  curve_client_cli curve;
  std::string pub = "tcp://127.0.0.1:5555";
  double duration_s = 20;
  double timeout_s = 20;  // for the server's first answer
  std::string pattern = "both";
  double probe_amplitude_pA = 0.01;
  int channel = 7;
  std::string json_out;
};

struct samples {
  std::vector<double> us;
  void add_ns(std::int64_t ns) { us.push_back(static_cast<double>(ns) / 1e3); }
  double quantile(double q) {
    if (us.empty()) return NAN;
    std::sort(us.begin(), us.end());
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(us.size()))) - 1;
    return us[std::min(i, us.size() - 1)];
  }
  nlohmann::json summary() {
    return {{"n", us.size()}, {"p50_us", quantile(0.5)}, {"p99_us", quantile(0.99)}, {"p999_us", quantile(0.999)},
            {"max_us", us.empty() ? NAN : *std::max_element(us.begin(), us.end())}};
  }
};

struct phase_result {
  samples rtt, applied, first_readout, publish;
  std::int64_t lost = 0, refused = 0;
  std::string first_refusal;  // the server's reason, as it sent it
};

struct status_seen {
  std::optional<nlohmann::json> first, last;
  double rt_cpu_sum = 0, io_cpu_sum = 0, compute_p99_max = 0;
  // A readout's age when the I/O thread takes it to publish (tick start -> publish): the part of a client's latency
  // before publish -> receive, which the probe's own samples start at (an outside check, 2026-12-05, found the
  // headline "end-to-end" figure without it). The worst window's p99 and the largest.
  double readout_age_p99_max = 0, readout_age_max = 0;
  int n = 0;
  bool paused = false;  // the last status said the engine was paused
};

class prober {
 public:
  explicit prober(const probe_options& o) : o_(o), client_(o.commands, o.pub, {}, o.curve.load()) {}

  // False when no server answered within --timeout, or a stop signal came first (the caller tells them apart): the
  // signal interrupts the wait (EINTR, which cppzmq throws), and probe exited 1 with "Interrupted system call" where
  // its help promises 130 / 143 (an outside audit, 2026-12-06).
  bool sync() {
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<std::int64_t>(o_.timeout_s * 1000.0));
    for (;;) {
      try {
        // With GetInfo, answered without touching the engine: the probe's first command is its first probe.
        return client_.sync_subscription(io::time_left(end), io::command_kind::get_info);
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw;
        if (stop_request::signal() != 0 || std::chrono::steady_clock::now() >= end) return false;
      }
    }
  }

  phase_result run(bool back_to_back, double seconds) {
    phase_result r;
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> gap_us(5000, 50000);
    const std::int64_t end = io::monotonic_ns() + static_cast<std::int64_t>(seconds * 1e9);
    std::int64_t next_send = io::monotonic_ns();
    std::uint64_t n_sent = 0;
    while (io::monotonic_ns() < end && stop_request::signal() == 0) {
      const std::int64_t now = io::monotonic_ns();
      if (!outstanding_ && now >= next_send) {
        io::command c;
        if (n_sent % 2 == 0) {
          c.kind = io::command_kind::ping;
        } else {
          c.kind = io::command_kind::set_stimulation;
          c.channel = static_cast<std::uint8_t>(o_.channel);
          c.program.amplitude = (n_sent / 2) % 2 ? o_.probe_amplitude_pA : 0.0;
        }
        outstanding_ = {client_.send(c), c.kind == io::command_kind::set_stimulation, 0, -1, 0, now};
        ++n_sent;
      }
      pump(r, std::chrono::milliseconds(outstanding_ ? 5 : std::max<std::int64_t>(0, (next_send - now) / 1'000'000)));
      if (outstanding_ && io::monotonic_ns() - outstanding_->sent_ns > 2'000'000'000) {
        ++r.lost;
        outstanding_.reset();
      }
      if (done_) {
        done_ = false;
        outstanding_.reset();
        next_send = back_to_back ? io::monotonic_ns() : io::monotonic_ns() + 1000LL * gap_us(rng);
      }
    }
    // Let a last outstanding command finish so the next phase starts clean.
    const std::int64_t grace = io::monotonic_ns() + 2'000'000'000;
    while (outstanding_ && !done_ && io::monotonic_ns() < grace && stop_request::signal() == 0)
      pump(r, std::chrono::milliseconds(5));
    // One still outstanding after its 2 s is lost, as within the phase: a probe shorter than that exited 0 against a
    // server whose readouts never came (a stepped one), a longer one 5 (an outside audit, 2026-12-06).
    if (outstanding_ && !done_ && stop_request::signal() == 0) ++r.lost;
    outstanding_.reset();
    done_ = false;
    return r;
  }

  // The server's mode (its GetInfo answer), or nullopt without an answer within 2 s.
  std::optional<io::run_mode> mode() {
    io::command c;
    c.kind = io::command_kind::get_info;
    const auto ack = client_.wait_ack(client_.send(c), std::chrono::milliseconds(2000));
    if (!ack || !ack->info) return std::nullopt;
    return ack->info->mode;
  }
  // Whether the last status the probe saw said the engine was paused (its readouts then wait for Resume).
  bool saw_paused() const { return statuses_.paused; }

  status_seen& statuses() { return statuses_; }
  // Clears the probe's channel: its last toggle left a DC program there (0 pA or --amplitude), shown as an active
  // channel by every viewer until someone cleared it (an outside check, 2026-12-06). The ack is awaited briefly.
  bool clear_channel() {
    io::command c;
    c.kind = io::command_kind::clear_stimulation;
    c.channel = static_cast<std::uint8_t>(o_.channel);
    const auto ack = client_.wait_ack(client_.send(c), std::chrono::milliseconds(2000));
    return ack && ack->accepted;
  }

 private:
  struct in_flight {
    std::uint64_t seq;
    bool stim;
    int acked;            // 0: waiting for the ack
    std::int64_t tick;    // stim: tick_applied, waiting for its readout
    std::uint32_t epoch;
    std::int64_t sent_ns;
  };

  void pump(phase_result& r, std::chrono::milliseconds timeout) {
    zmq::pollitem_t items[] = {{client_.command_socket().handle(), 0, ZMQ_POLLIN, 0},
                               {client_.stream_socket().handle(), 0, ZMQ_POLLIN, 0}};
    // A stop signal (stop_request's handler) interrupts the wait: EINTR, which cppzmq throws, ends this pump; run()
    // then sees the request.
    try {
      zmq::poll(items, 2, timeout);
      if (items[0].revents & ZMQ_POLLIN)
        while (auto a = client_.next_ack(std::chrono::milliseconds(0))) on_ack(r, *a);
      if (items[1].revents & ZMQ_POLLIN)
        while (auto m = client_.receive(std::chrono::milliseconds(0))) on_stream(r, *m);
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
  }

  void on_ack(phase_result& r, const io::ack_info& a) {
    if (!outstanding_ || done_ || a.seq != outstanding_->seq) return;
    if (!a.accepted) {
      if (r.refused++ == 0) r.first_refusal = a.reason;
      done_ = true;
      return;
    }
    // The ping row is the pings' alone (it held every command's ack, SetStimulation's too: an outside check).
    if (!outstanding_->stim) r.rtt.add_ns(a.recv_ns - a.client_send_ns);
    r.applied.add_ns(a.server_applied_ns - a.client_send_ns);
    outstanding_->acked = 1;
    if (!outstanding_->stim) {
      done_ = true;
    } else {
      outstanding_->tick = a.tick_applied;
      outstanding_->epoch = a.epoch;
    }
  }

  void on_stream(phase_result& r, const io::stream_message& m) {
    const io::proto::Message* msg = m.message();
    if (const auto* rd = msg->payload_as_Readout()) {
      r.publish.add_ns(m.recv_ns - rd->publish_ns());
      // One sample per command: the first readout of the tick the ack named (or a later one).
      if (outstanding_ && !done_ && outstanding_->stim && outstanding_->tick >= 0 && rd->epoch() == outstanding_->epoch &&
          rd->tick() >= outstanding_->tick) {
        r.first_readout.add_ns(m.recv_ns - outstanding_->sent_ns);
        done_ = true;
      }
    } else if (const auto* s = msg->payload_as_Status()) {
      nlohmann::json j = {{"server_ticks", s->server_ticks()},
                          {"deadline_misses", s->deadline_misses()},
                          {"resyncs", s->resyncs()},
                          {"ticks_skipped", s->ticks_skipped()},
                          {"readout_drops", s->readout_drops()},
                          {"spike_drops", s->spike_drops()},
                          {"safety_drops", s->safety_drops()},
                          {"lateness_total_p99_us", s->lateness_total_p99_us()},
                          {"lateness_total_p999_us", s->lateness_total_p999_us()},
                          {"lateness_total_max_us", s->lateness_total_max_us()},
                          {"uptime_s", s->uptime_s()},
                          {"mode", static_cast<int>(s->mode())},
                          {"scheduling", s->scheduling() ? s->scheduling()->str() : ""},
                          {"worker_imbalance", s->worker_imbalance()}};
      std::vector<double> workers;
      if (s->worker_compute_us())
        for (const double us : *s->worker_compute_us()) workers.push_back(us);
      j["worker_compute_us"] = workers;
      statuses_.paused = s->paused();  // the last status's
      if (!statuses_.first) statuses_.first = j;
      statuses_.last = j;
      statuses_.rt_cpu_sum += s->rt_cpu_percent();
      statuses_.io_cpu_sum += s->io_cpu_percent();
      statuses_.compute_p99_max = std::max(statuses_.compute_p99_max, s->compute_p99_us());
      statuses_.readout_age_p99_max = std::max(statuses_.readout_age_p99_max, s->readout_age_p99_us());
      statuses_.readout_age_max = std::max(statuses_.readout_age_max, s->readout_age_max_us());
      ++statuses_.n;
    }
  }

  const probe_options& o_;
  io::client client_;
  std::optional<in_flight> outstanding_;
  bool done_ = false;
  status_seen statuses_;
};

void print_row(const char* phase, const char* name, samples& s) {
  std::printf("%-13s %-28s %8zu %9.1f %9.1f %9.1f %9.1f\n", phase, name, s.us.size(), s.quantile(0.5), s.quantile(0.99),
              s.quantile(0.999), s.us.empty() ? NAN : *std::max_element(s.us.begin(), s.us.end()));
}

int run_probe(const probe_options& o) {
  // The JSON file is opened before the probe, so that an unwritable path costs no probing (and is not lost silently
  // after it).
  std::ofstream json;
  if (!o.json_out.empty()) {
    json.open(o.json_out);
    if (!json) throw std::runtime_error("cannot write --json " + o.json_out + ": " + std::strerror(errno));
  }
  // Ctrl-C or SIGTERM ends the probing early and still clears the channel and prints the figures so far (it ended
  // the process with the probe's last program left loaded: an outside check, 2026-12-06); taken also when a
  // script's `&` started it with SIGINT ignored (the handler replaces the ignoring).
  const stop_request stop;
  prober p(o);
  // Connecting to nothing is silent in ZeroMQ: say what we wait for (it was 20 s without a word).
  std::fprintf(stderr, "probe: waiting for a server at %s / %s (--timeout %g s) ...\n", o.commands.c_str(),
               o.pub.c_str(), o.timeout_s);
  if (!p.sync()) {
    if (stop_request::signal() != 0) {
      std::fprintf(stderr, "probe: stopped by %s while waiting for a server: nothing was sent\n",
                   stop_request::signal_name());
      return stop_request::exit_code();
    }
    std::fprintf(stderr, "probe: no answer from %s / %s%s\n", o.commands.c_str(), o.pub.c_str(), o.curve.hint());
    return 4;
  }
  // A stepped server computes, and publishes readouts, only when stepped: a stimulation's first readout never came,
  // and the exit code depended on --duration (an outside audit, 2026-12-06). Nothing is sent then.
  if (const auto mode = p.mode(); mode == io::run_mode::stepped) {
    std::fprintf(stderr, "probe: the server at %s runs in stepped mode: it computes ticks, and publishes their "
                         "readouts, only when a Step asks, so a command's first readout cannot be timed; probe a "
                         "server in realtime (or fast) mode. Nothing was sent\n", o.commands.c_str());
    return 3;
  }
  std::map<std::string, phase_result> results;
  const auto probe_start = std::chrono::steady_clock::now();
  const bool both = o.pattern == "both";
  const double each = both ? o.duration_s / 2 : o.duration_s;
  if (both || o.pattern == "back-to-back") results["back-to-back"] = p.run(true, each);
  if ((both || o.pattern == "sporadic") && stop_request::signal() == 0) results["sporadic"] = p.run(false, each);
  if (stop_request::signal() != 0)
    std::fprintf(stderr, "probe: stopped by %s: clearing channel %d; the figures are of the probing so far\n",
                 stop_request::signal_name(), o.channel);
  if (!p.clear_channel())
    std::fprintf(stderr, "probe: warning: channel %d could not be cleared: its last probe program (0 or %g pA) may "
                 "still be loaded (`cortexloop stim clear --channel %d`)\n", o.channel, o.probe_amplitude_pA, o.channel);

  // A probe a signal stopped says how long it probed, not the --duration asked for (an outside check, 2026-12-06).
  const double probed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - probe_start).count();
  if (stop_request::signal() != 0)
    std::printf("probe: %.1f of %.0f s (stopped by %s) against %s / %s\n", probed_s, o.duration_s,
                stop_request::signal_name(), o.commands.c_str(), o.pub.c_str());
  else
    std::printf("probe: %.0f s against %s / %s\n", o.duration_s, o.commands.c_str(), o.pub.c_str());
  std::printf("%-13s %-28s %8s %9s %9s %9s %9s\n", "traffic", "latency (us)", "n", "p50", "p99", "p99.9", "max");
  nlohmann::json report = {{"duration_s", o.duration_s}, {"probed_s", probed_s}, {"commands", o.commands},
                           {"pub", o.pub}};
  for (auto& [name, r] : results) {
    print_row(name.c_str(), "ping round trip", r.rtt);
    print_row("", "command -> applied", r.applied);
    print_row("", "command -> first readout", r.first_readout);
    print_row("", "readout publish -> receive", r.publish);
    if (r.lost || r.refused) std::printf("%-13s lost %lld, refused %lld\n", "", static_cast<long long>(r.lost),
                                         static_cast<long long>(r.refused));
    report[name] = {{"ping_round_trip", r.rtt.summary()},
                    {"command_to_applied", r.applied.summary()},
                    {"command_to_first_readout", r.first_readout.summary()},
                    {"publish_to_receive", r.publish.summary()},
                    {"lost", r.lost},
                    {"refused", r.refused}};
  }
  status_seen& s = p.statuses();
  if (s.first && s.last) {
    const auto misses = (*s.last)["deadline_misses"].get<std::int64_t>() - (*s.first)["deadline_misses"].get<std::int64_t>();
    const auto ticks = (*s.last)["server_ticks"].get<std::int64_t>() - (*s.first)["server_ticks"].get<std::int64_t>();
    // Counted between the first and the last status the probe saw (one a second): a probe shorter than two
    // status periods sees one and counts 0 ticks, which the line says instead of implying an idle server.
    std::printf("server: %lld ticks, %lld deadline misses between the probe's first and last status (%d seen); since "
                "server start: lateness p99 %.0f us, p99.9 %.0f us, max %.0f us, %lld misses in %.0f s; tick compute "
                "p99 <= %.0f us; readout age at publish (tick start -> publish, before the publish -> receive above) "
                "p99 <= %.0f us, max %.0f us; cpu rt %.0f%%, io %.0f%%; %s\n",
                static_cast<long long>(ticks), static_cast<long long>(misses), s.n,
                (*s.last)["lateness_total_p99_us"].get<double>(), (*s.last)["lateness_total_p999_us"].get<double>(),
                (*s.last)["lateness_total_max_us"].get<double>(),
                static_cast<long long>((*s.last)["deadline_misses"].get<std::int64_t>()),
                (*s.last)["uptime_s"].get<double>(), s.compute_p99_max, s.readout_age_p99_max, s.readout_age_max,
                s.rt_cpu_sum / s.n, s.io_cpu_sum / s.n,
                (*s.last)["scheduling"].get<std::string>().c_str());
    report["server"] = {{"ticks_during_probe", ticks},
                        {"deadline_misses_during_probe", misses},
                        {"first_status", *s.first},
                        {"last_status", *s.last},
                        {"tick_compute_p99_us_max_window", s.compute_p99_max},
                        {"readout_age_p99_us_max_window", s.readout_age_p99_max},
                        {"readout_age_max_us", s.readout_age_max},
                        {"rt_cpu_percent_mean", s.rt_cpu_sum / s.n},
                        {"io_cpu_percent_mean", s.io_cpu_sum / s.n}};
  }
  if (json.is_open()) json << report.dump(2) << "\n";
  // Latencies measured from refused or lost commands would describe another case than the one asked for: the
  // figures are printed, the exit code says they are not to be trusted.
  std::int64_t failed = 0;
  std::string reason;
  for (const auto& [name, r] : results) {
    failed += r.lost + r.refused;
    if (reason.empty()) reason = r.first_refusal;
  }
  if (failed > 0) {
    std::fprintf(stderr, "probe: %lld probe command(s) lost or refused%s%s%s\n", static_cast<long long>(failed),
                 reason.empty() ? "" : "; the first refusal: ", reason.c_str(),
                 p.saw_paused() ? "; the server was paused (Status.paused): its readouts wait for a Resume" : "");
    return 5;
  }
  return stop_request::signal() != 0 ? stop_request::exit_code() : 0;  // 130 / 143, as a process the signal ended
}

}  // namespace

void add_probe_command(CLI::App& app) {
  auto o = std::make_shared<probe_options>();
  CLI::App* cmd = app.add_subcommand(
      "probe", "Measure a running server's latencies: ping round trip, command -> applied, command -> first readout "
               "that reflects it, readout publish -> receive (p50/p99/p99.9/max), plus its deadline misses and lateness");
  cmd->add_option("--commands", o->commands, "Server's command endpoint")
      ->capture_default_str()
      ->check(endpoint_text("the server's command"));
  cmd->add_option("--pub", o->pub, "Server's PUB endpoint")->capture_default_str()->check(endpoint_text("the server's PUB"));
  add_curve_client_options(cmd, o->curve);
  cmd->add_option("--duration", o->duration_s, "Seconds of probing (split between the traffic patterns)")
      ->check(positive_number)
      ->capture_default_str();
  cmd->add_option("--pattern", o->pattern, "back-to-back (next command when the previous is done), sporadic (5-50 ms "
                                           "random gaps) or both")
      ->check(CLI::IsMember({"both", "back-to-back", "sporadic"}))
      ->capture_default_str();
  cmd->add_option("--amplitude", o->probe_amplitude_pA,
                  "Probe stimulation: DC toggled between 0 and this (pA) on --channel, to see it in readouts")
      ->capture_default_str();
  cmd->add_option("--channel", o->channel,
                  "Stimulator channel the probe uses: a program loaded there is replaced, and the channel is cleared "
                  "when the probe ends")->check(CLI::Range(0, 7))->capture_default_str();
  cmd->add_option("--timeout", o->timeout_s, "Give up (exit 4) when the server has not answered this many seconds after start")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--json", o->json_out, "Also write the figures to this JSON file");
  cmd->footer("Exit codes: 0 done; 1 the --json file cannot be written (named); 3 the server runs in stepped mode (its readouts come only when stepped: nothing "
              "to time; nothing sent); 4 no server answered within --timeout; 5 some probe commands were lost or refused "
              "(the figures are printed anyway); 130 / 143 stopped by Ctrl-C / SIGTERM (the channel cleared, the "
              "figures so far printed).");
  cmd->callback([o] {
    if (const int rc = run_probe(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
