#include "io/client/client.hpp"

#include <algorithm>
#include <limits>

#include "io/runtime/clock.hpp"
#include "io/security/endpoint.hpp"

namespace cortexloop::io {

ack_info to_ack_info(const proto::Ack& a, std::int64_t recv_ns) {
  ack_info i;
  i.seq = a.seq();
  i.accepted = a.accepted();
  i.code = static_cast<error_code>(a.code());
  i.reason = a.reason() ? a.reason()->str() : std::string();
  i.tick_applied = a.tick_applied();
  i.epoch = a.epoch();
  i.client_send_ns = a.client_send_ns();
  i.server_recv_ns = a.server_recv_ns();
  i.server_applied_ns = a.server_applied_ns();
  i.server_send_ns = a.server_send_ns();
  i.recv_ns = recv_ns;
  if (a.info()) i.info = to_server_info(*a.info());
  return i;
}

server_info to_server_info(const proto::Info& i) {
  server_info s;
  s.version = i.version() ? i.version()->str() : std::string();
  s.mode = static_cast<run_mode>(i.mode());
  s.dt_ms = i.dt_ms();
  s.tick_ms = i.tick_ms();
  s.steps_per_tick = i.steps_per_tick();
  s.seed = i.seed();
  s.epoch = i.epoch();
  s.n_exc = i.n_exc();
  s.n_inh = i.n_inh();
  s.ring_units = i.ring_units();
  s.ring_length_mm = i.ring_length_mm();
  s.stim_channels = i.stim_channels();
  s.max_drive_rate_Hz = i.max_drive_rate_hz();
  s.max_command_bytes = i.max_command_bytes();
  s.config_toml = i.config_toml() ? i.config_toml()->str() : std::string();
  if (const proto::Build* b = i.build()) {
    auto str = [](const flatbuffers::String* x) { return x ? x->str() : std::string(); };
    s.build = {.version = str(b->version()), .git_commit = str(b->git_commit()), .compiler = str(b->compiler()),
               .build_type = str(b->build_type()), .flags = str(b->flags()), .march_native = b->march_native(),
               .portable = b->portable(), .fp_contract = str(b->fp_contract()), .isa = str(b->isa())};
  }
  s.commands_applied = i.commands_applied();
  s.session_id = i.session_id();
  s.aln = i.aln();
  if (const proto::SafetyLimits* x = i.safety())
    s.safety = {.max_current_uA = x->max_current_ua(), .max_charge_per_phase_nC = x->max_charge_per_phase_nc(),
                .shannon_k = x->shannon_k(), .max_net_charge_nC = x->max_net_charge_nc(),
                .net_charge_window_ms = x->net_charge_window_ms(), .max_pulse_rate_Hz = x->max_pulse_rate_hz(),
                .compliance_V = x->compliance_v(), .max_direct_pA = x->max_direct_pa()};
  s.electrodes = i.electrodes();
  s.sensing_channels = i.sensing_channels();
  s.schema_version = i.schema_version();
  s.network_model = i.network_model() ? i.network_model()->str() : std::string();
  return s;
}

client::client(const std::string& command_endpoint, const std::string& pub_endpoint,
               const std::vector<std::string>& topics, const std::optional<curve_client_keys>& curve)
    : dealer_(context_, zmq::socket_type::dealer) {
  check_endpoint("command", command_endpoint);
  if (!pub_endpoint.empty()) check_endpoint("PUB", pub_endpoint);
  if (curve) apply_curve_client(dealer_, *curve);
  dealer_.set(zmq::sockopt::linger, 0);
  dealer_.set(zmq::sockopt::rcvhwm, 100000);
  dealer_.set(zmq::sockopt::sndhwm, 100000);
  // A DEALER blocks in send while it has no connection to queue on: after a refused CURVE handshake (no keys,
  // a key the server does not list, another server key) libzmq drops it. A command that cannot be queued
  // within 2 s is dropped, so that its caller times out waiting for the ack instead of hanging in send.
  dealer_.set(zmq::sockopt::sndtimeo, send_wait_ms_);
  // Queue only on a live connection: without ZMQ_IMMEDIATE a DEALER keeps what is sent while no server listens and
  // delivers it to whichever server starts next, which would apply a stale command (protocol.md, "Connections and
  // reconnects"; an outside check found a 123 pA DC applied that way, 2026-12-05).
  dealer_.set(zmq::sockopt::immediate, true);
  if (is_ipv6_literal(command_endpoint)) dealer_.set(zmq::sockopt::ipv6, true);
  dealer_.connect(command_endpoint);
  if (!pub_endpoint.empty()) {
    sub_ = zmq::socket_t(context_, zmq::socket_type::sub);
    if (curve) apply_curve_client(sub_, *curve);
    sub_.set(zmq::sockopt::linger, 0);
    sub_.set(zmq::sockopt::rcvhwm, 200000);
    // The topics that take acks last, after the connection's pipe holds the others: the server takes a
    // connection's (un)subscriptions in order, two at a time (kSubscriptionQueuePerSubscriber), so an ack on the
    // stream (sync_subscription) then proves every topic live. Subscribed in one batch, libzmq sends them in its
    // trie's order, "ack" before "readout": a readout published just after the sync was lost (1 Step in 20 on a
    // paused server; test python_subscription_churn).
    const auto takes_acks = [](const std::string& t) { return kTopicAck.starts_with(t); };
    const std::vector<std::string> all{""};
    const std::vector<std::string>& wanted = topics.empty() ? all : topics;
    for (const std::string& t : wanted)
      if (!takes_acks(t)) sub_.set(zmq::sockopt::subscribe, t);
    if (is_ipv6_literal(pub_endpoint)) sub_.set(zmq::sockopt::ipv6, true);
    sub_.connect(pub_endpoint);
    for (const std::string& t : wanted)
      if (takes_acks(t)) sub_.set(zmq::sockopt::subscribe, t), stream_takes_acks_ = true;
  }
}

std::uint64_t client::send(command c, std::chrono::milliseconds max_wait) {
  c.seq = next_seq_++;
  const auto wait_ms = static_cast<int>(std::clamp<std::int64_t>(max_wait.count(), 0, std::numeric_limits<int>::max()));
  // The connection first (ZMQ_IMMEDIATE: writable once one is up), then the send time stamped: a command sent before
  // the server was up counted the wait for it as its latency (`stim ping` started 1 s before `serve` printed
  // command->applied 1247 ms: an outside check, 2026-12-06). Not sent (no connection within the wait): its wait_ack
  // returns at once.
  zmq::pollitem_t item{dealer_.handle(), 0, ZMQ_POLLOUT, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(wait_ms)) == 0) {
    dropped_seq_ = c.seq;
    return c.seq;
  }
  c.client_send_ns = monotonic_ns();
  encode_command(fbb_, c);
  const auto bytes = fbb_.GetBufferSpan();
  if (wait_ms != send_wait_ms_) dealer_.set(zmq::sockopt::sndtimeo, send_wait_ms_ = wait_ms);
  if (!dealer_.send(zmq::buffer(bytes.data(), bytes.size()), zmq::send_flags::none)) dropped_seq_ = c.seq;
  return c.seq;
}

void client::send_raw(std::span<const std::uint8_t> bytes) {
  dealer_.send(zmq::buffer(bytes.data(), bytes.size()), zmq::send_flags::none);
}

std::optional<ack_info> client::next_ack(std::chrono::milliseconds timeout) {
  if (!kept_acks_.empty()) {
    ack_info a = std::move(kept_acks_.front());
    kept_acks_.pop_front();
    return a;
  }
  return read_ack(timeout);
}

void client::keep(ack_info a) {
  kept_acks_.push_back(std::move(a));
  while (kept_acks_.size() > kMaxBufferedAcks) {
    kept_acks_.pop_front();
    ++dropped_acks_;
  }
}

std::optional<ack_info> client::read_ack(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    zmq::pollitem_t item{dealer_.handle(), 0, ZMQ_POLLIN, 0};
    if (left.count() < 0 || zmq::poll(&item, 1, std::max(left, std::chrono::milliseconds(0))) == 0) return std::nullopt;
    zmq::message_t m;
    if (!dealer_.recv(m, zmq::recv_flags::dontwait)) continue;
    const std::int64_t now = monotonic_ns();
    std::vector<std::uint8_t> aligned(static_cast<const std::uint8_t*>(m.data()),
                                      static_cast<const std::uint8_t*>(m.data()) + m.size());
    const proto::Message* msg = verify_message(aligned);
    if (msg && msg->payload_as_Ack()) return to_ack_info(*msg->payload_as_Ack(), now);
  }
}

std::optional<ack_info> client::wait_ack(std::uint64_t seq, std::chrono::milliseconds timeout) {
  if (seq == dropped_seq_) return std::nullopt;  // never sent: no ack can come
  // Kept earlier: the first (oldest) with this seq.
  const auto kept = std::find_if(kept_acks_.begin(), kept_acks_.end(), [seq](const ack_info& a) { return a.seq == seq; });
  if (kept != kept_acks_.end()) {
    ack_info a = std::move(*kept);
    kept_acks_.erase(kept);
    return a;
  }
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    auto a = read_ack(std::max(left, std::chrono::milliseconds(0)));
    if (!a) return std::nullopt;
    if (a->seq == seq) return a;
    keep(std::move(*a));
  }
}

std::optional<stream_message> client::receive(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    zmq::pollitem_t item{sub_.handle(), 0, ZMQ_POLLIN, 0};
    if (left.count() < 0 || zmq::poll(&item, 1, std::max(left, std::chrono::milliseconds(0))) == 0) return std::nullopt;
    zmq::message_t topic, payload;
    if (!sub_.recv(topic, zmq::recv_flags::dontwait)) continue;
    if (!topic.more() || !sub_.recv(payload, zmq::recv_flags::none)) {
      ++unverified_messages_;
      continue;
    }
    stream_message s;
    s.recv_ns = monotonic_ns();
    s.topic = topic.to_string();
    s.payload.assign(static_cast<const std::uint8_t*>(payload.data()),
                     static_cast<const std::uint8_t*>(payload.data()) + payload.size());
    if (verify_message(s.payload)) return s;
    ++unverified_messages_;
  }
}

bool client::sync_subscription(std::chrono::milliseconds timeout, command_kind kind) {
  // Without topic "ack" its subscription for the sync, after the others (see the constructor), gone after.
  struct temporary_ack_topic {
    zmq::socket_t* sub;
    explicit temporary_ack_topic(zmq::socket_t* s) : sub(s) {
      if (sub) sub->set(zmq::sockopt::subscribe, kTopicAck);
    }
    ~temporary_ack_topic() {
      try {
        if (sub) sub->set(zmq::sockopt::unsubscribe, kTopicAck);
      } catch (const zmq::error_t&) {  // the context going away (ETERM): nothing left to unsubscribe from
      }
    }
  } ack_topic(stream_takes_acks_ || !sub_ ? nullptr : &sub_);
  const auto end = std::chrono::steady_clock::now() + timeout;
  std::optional<std::uint64_t> first_seq;
  sync_answered_ = false;
  while (std::chrono::steady_clock::now() < end) {
    command ping;
    ping.kind = kind;
    // Neither the wait for a connection nor the one for the ack goes past `end` (record --sync --timeout 1 took
    // 2.15 s: a second outside check).
    const std::uint64_t seq = send(ping, time_left(end));
    if (!first_seq) first_seq = seq;
    if (!wait_ack(seq, std::clamp(time_left(end), std::chrono::milliseconds(1), std::chrono::milliseconds(2000))))
      continue;
    sync_answered_ = true;
    // The first acks are usually published before the subscription is live (a SUB joins late and misses them), so
    // read the stream for 200 ms, then ask again; any of these commands' acks on the stream proves it live. (One
    // 2 s read per command made every `record --sync` take 2 s.) 200 ms also drains a backlog of readouts ahead of
    // the ack.
    const auto until = std::min(end, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    while (std::chrono::steady_clock::now() < until) {
      auto m = receive(std::chrono::milliseconds(20));
      if (m && m->topic == kTopicAck && m->message()->payload_as_Ack()->seq() >= *first_seq) return true;
    }
  }
  return false;
}

}  // namespace cortexloop::io
