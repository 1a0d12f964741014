#pragma once
// A small C++ client of the server protocol, for the CLI tools (stim, record, probe) and the tests:
// a DEALER socket for commands and acks, and optionally a SUB socket for the stream.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "io/protocol/codec.hpp"
#include "io/security/security.hpp"

namespace cortexloop::io {

struct ack_info : basic_ack<std::string> {
  std::int64_t recv_ns = 0;  // when this client received it
  std::optional<server_info> info;  // the ack of GetInfo
};

server_info to_server_info(const proto::Info& i);

struct stream_message {
  std::string topic;
  std::vector<std::uint8_t> payload;  // a verified Message (see message())
  std::int64_t recv_ns = 0;
  const proto::Message* message() const { return proto::GetMessage(payload.data()); }
};

// What is left of a wait that ends at `deadline` (0 once past): the callers' waits for a connection and an ack.
inline std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()),
                  std::chrono::milliseconds(0));
}

class client {
 public:
  // pub_endpoint empty: no subscription. topics empty: every topic. curve: both sockets use CURVE with these keys
  // (a server started with --curve-secret admits nothing else; docs/protocol.md, "Security and threat model").
  client(const std::string& command_endpoint, const std::string& pub_endpoint = {},
         const std::vector<std::string>& topics = {}, const std::optional<curve_client_keys>& curve = {});

  // Sends a command with the next sequence number and the current time; returns the sequence number. A command is
  // queued only on a live connection (ZMQ_IMMEDIATE): without one it waits up to max_wait for one, then is dropped
  // (its ack never comes). So acks not yet read when the server goes away are dropped with the connection too.
  static constexpr std::chrono::milliseconds kSendWait{2000};
  std::uint64_t send(command c, std::chrono::milliseconds max_wait = kSendWait);
  // Whether send() dropped this command for want of a connection (then no ack can come).
  bool dropped(std::uint64_t seq) const noexcept { return seq == dropped_seq_; }
  void send_raw(std::span<const std::uint8_t> bytes);
  // Waits for the ack of `seq`. Acks of other sequence numbers that arrive meanwhile are kept, in arrival order,
  // for their own wait_ack or next_ack (not dropped); beyond kMaxBufferedAcks the oldest kept one is dropped, so
  // that a client that never asks for its acks does not grow without bound (as tools/python's client).
  std::optional<ack_info> wait_ack(std::uint64_t seq, std::chrono::milliseconds timeout);
  // The next ack, whatever its sequence number: first those wait_ack kept, in arrival order, then from the socket.
  std::optional<ack_info> next_ack(std::chrono::milliseconds timeout);
  static constexpr std::size_t kMaxBufferedAcks = 100000;
  // Acks kept by wait_ack and not yet returned; kept ones dropped for lack of room so far.
  std::size_t buffered_acks() const noexcept { return kept_acks_.size(); }
  std::int64_t dropped_acks() const noexcept { return dropped_acks_; }
  // Stream messages receive() skipped because they failed FlatBuffers verification (or came without a payload frame):
  // `record` dropped them without a count (an outside audit, 2026-12-07).
  std::int64_t unverified_messages() const noexcept { return unverified_messages_; }
  // Next verified message from the stream (unverifiable ones are skipped, and counted: unverified_messages).
  std::optional<stream_message> receive(std::chrono::milliseconds timeout);
  // Sends pings until one of their acks comes back on the stream: the subscription is live. With
  // command_kind::get_info it sends GetInfo instead, which the server answers without applying anything
  // (a ping reaches the real-time thread and feeds External controllers' watchdogs).
  // Once it returns true, every topic of the client is live: the topic carrying the acks is subscribed after the
  // others, and the server takes a connection's subscriptions in order (on the first connection: after a reconnect
  // libzmq sends them again in its trie's order, "ack" before "readout").
  bool sync_subscription(std::chrono::milliseconds timeout, command_kind kind = command_kind::ping);
  // Whether the last sync_subscription had an ack on the command socket: when it returned false nonetheless, the
  // server on the command endpoint answers, and its acks do not come on the stream's endpoint (another server's?).
  bool sync_answered() const { return sync_answered_; }

  zmq::socket_t& command_socket() { return dealer_; }
  zmq::socket_t& stream_socket() { return sub_; }

 private:
  zmq::context_t context_{1};
  std::optional<ack_info> read_ack(std::chrono::milliseconds timeout);  // from the socket only
  void keep(ack_info a);

  zmq::socket_t dealer_, sub_;
  std::uint64_t next_seq_ = 1;
  int send_wait_ms_ = static_cast<int>(kSendWait.count());  // ZMQ_SNDTIMEO as last set
  std::uint64_t dropped_seq_ = 0;                             // the last command send() could not queue
  bool sync_answered_ = false;
  bool stream_takes_acks_ = false;                            // a topic of sub_ takes "ack" (subscribed last)
  std::deque<ack_info> kept_acks_;  // arrived while wait_ack waited for another seq; oldest first
  std::int64_t dropped_acks_ = 0;
  std::int64_t unverified_messages_ = 0;
  flatbuffers::FlatBufferBuilder fbb_{1024};
};

ack_info to_ack_info(const proto::Ack& a, std::int64_t recv_ns);

}  // namespace cortexloop::io
