// Security (issue 9): CURVE on both sockets, the ZAP handler that admits only listed client keys, key files,
// and the refusal to bind off loopback without keys. A server in this process, clients on real sockets; the
// CURVE cases run on 127.0.0.1 with CURVE forced on by giving keys (no traffic leaves the machine).
#include <catch2/catch.hpp>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "io/client/client.hpp"
#include "io/config/config_loader.hpp"
#include "io/security/security.hpp"
#include "io/server/server.hpp"

using namespace cortexloop;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

io::server_options options(io::run_mode mode) {
  io::server_options o;
  o.params = io::load_config(CORTEXLOOP_SOURCE_DIR "/configs/zerlaut2018_network.toml",
                             std::vector<std::string>{"network.n_neurons=1000", "simulation.seed=3"});
  o.mode = mode;
  o.pub_endpoint = "tcp://127.0.0.1:*";
  o.command_endpoint = "tcp://127.0.0.1:*";
  return o;
}

struct temp_dir {
  fs::path path;
  explicit temp_dir(const std::string& name)
      : path(fs::temp_directory_path() / ("cortexloop_curve_" + std::to_string(::getpid()) + "_" + name)) {
    fs::remove_all(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};

mode_t mode_of(const fs::path& p) {
  struct stat st{};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

io::command ping() {
  io::command c;
  c.kind = io::command_kind::ping;
  return c;
}

// What one client got over a window in which it pinged every 100 ms: acks, and stream messages.
struct take {
  int acks = 0, stream = 0;
};

// Runs the clients side by side for `window`: each pings every 100 ms and counts what comes back.
std::vector<take> listen(std::vector<io::client*> clients, std::chrono::milliseconds window) {
  std::vector<take> got(clients.size());
  const auto end = std::chrono::steady_clock::now() + window;
  auto next_ping = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < end) {
    const bool send = std::chrono::steady_clock::now() >= next_ping;
    if (send) next_ping += 100ms;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      // Without waiting for a connection: the rejected clients have none (a command is queued only on a live one).
      if (send) clients[i]->send(ping(), 0ms);
      while (clients[i]->next_ack(0ms)) ++got[i].acks;
      while (clients[i]->receive(0ms)) ++got[i].stream;
    }
    std::this_thread::sleep_for(5ms);
  }
  return got;
}

// The CURVE fields of a Status message.
struct proto_status_counts {
  bool curve = false;
  std::int64_t accepted = 0, denied = 0;
};

}  // namespace

TEST_CASE("scope_of: loopback and ipc are local, *, 0.0.0.0 and other addresses remote, names unknown",
          "[security]") {
  using io::endpoint_scope;
  for (const char* e : {"tcp://127.0.0.1:5556", "tcp://127.1.2.3:*", "tcp://[::1]:5556", "tcp://[::ffff:127.0.0.1]:1",
                        "tcp://localhost:5556", "ipc:///tmp/cortexloop"}) {
    INFO(e);
    CHECK(io::scope_of(e) == endpoint_scope::local);
  }
  for (const char* e : {"tcp://*:5556", "tcp://*:*", "tcp://0.0.0.0:5556", "tcp://192.0.2.2:1", "tcp://[::]:1",
                        "tcp://[fd00::2]:1", "tcp://128.0.0.1:1", "tcp://126.255.255.255:1"}) {
    INFO(e);
    CHECK(io::scope_of(e) == endpoint_scope::remote);
  }
  CHECK(io::scope_of("tcp://eth0:5556") == endpoint_scope::unknown);
}

TEST_CASE("without CURVE keys the server refuses to bind off loopback, naming the options, --insecure allows it",
          "[security]") {
  SECTION("PUB on 0.0.0.0") {
    io::server_options o = options(io::run_mode::stepped);
    o.pub_endpoint = "tcp://0.0.0.0:*";
    REQUIRE_THROWS_WITH(io::server(o), Contains("refusing to bind the PUB (--pub) socket to tcp://0.0.0.0:*") &&
                                           Contains("--insecure") && Contains("--curve-secret") &&
                                           Contains("--curve-clients"));
  }
  SECTION("commands on *") {
    io::server_options o = options(io::run_mode::stepped);
    o.command_endpoint = "tcp://*:*";
    REQUIRE_THROWS_WITH(io::server(o), Contains("command (--commands)") && Contains("--insecure"));
  }
  SECTION("an interface name is checked as libzmq resolved it") {
    // lo resolves to 127.0.0.1: allowed. A non-loopback interface (if this machine has one) is refused after
    // the bind, before the server does any I/O.
    io::server_options o = options(io::run_mode::stepped);
    o.command_endpoint = "tcp://lo:*";
    io::server ok(o);
    CHECK(ok.insecure_endpoints().empty());
    std::string nic;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
      for (ifaddrs* a = list; a && nic.empty(); a = a->ifa_next)
        if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && (a->ifa_flags & IFF_UP) &&
            !(a->ifa_flags & IFF_LOOPBACK))
          nic = a->ifa_name;
      freeifaddrs(list);
    }
    if (nic.empty()) {
      // Not "skipped: " (which makes ctest report the whole case skipped): the other sections still ran.
      WARN("not run here: no non-loopback IPv4 interface, the resolved-name refusal is not exercised");
    } else {
      o.command_endpoint = "tcp://" + nic + ":*";
      REQUIRE_THROWS_WITH(io::server(o), Contains("refusing to bind the command (--commands) socket") &&
                                             Contains("--insecure"));
    }
  }
  SECTION("insecure: starts, and names the endpoint that is open") {
    io::server_options o = options(io::run_mode::stepped);
    o.command_endpoint = "tcp://0.0.0.0:*";
    o.insecure = true;
    io::server srv(o);
    REQUIRE(srv.insecure_endpoints().size() == 1);
    CHECK_THAT(srv.insecure_endpoints()[0], Catch::Matchers::StartsWith("tcp://0.0.0.0:"));
    CHECK_FALSE(srv.curve_enabled());
  }
  SECTION("loopback needs neither keys nor --insecure") {
    io::server srv(options(io::run_mode::stepped));
    CHECK(srv.insecure_endpoints().empty());
  }
  SECTION("with keys, off loopback is allowed and not insecure") {
    io::server_options o = options(io::run_mode::stepped);
    o.command_endpoint = "tcp://0.0.0.0:*";
    o.curve = io::curve_server_keys{io::generate_curve_keypair(), {io::generate_curve_keypair().public_key}};
    io::server srv(o);
    CHECK(srv.insecure_endpoints().empty());
    CHECK(srv.curve_enabled());
  }
  SECTION("CURVE with no client key is refused (it would admit nobody)") {
    io::server_options o = options(io::run_mode::stepped);
    o.curve = io::curve_server_keys{io::generate_curve_keypair(), {}};
    REQUIRE_THROWS_WITH(io::server(o), Contains("--curve-clients"));
  }
}

TEST_CASE("key files: NAME.key public, NAME.key_secret 0600, both read back, bad files refused by name",
          "[security][keys]") {
  temp_dir dir("files");
  const ::mode_t old_umask = ::umask(0);  // the secret file is 0600 whatever the umask allows
  const io::curve_keypair k = io::generate_curve_keypair();
  const auto [pub, sec] = io::write_key_files(dir.path / "keys", "alice", k);
  ::umask(old_umask);
  CHECK(pub == dir.path / "keys" / "alice.key");
  CHECK(sec == dir.path / "keys" / "alice.key_secret");
  CHECK(mode_of(sec) == 0600);
  CHECK(mode_of(pub) == 0644);

  const io::curve_keypair p = io::read_key_file(pub);
  CHECK(p.public_key == k.public_key);
  CHECK(p.secret_key.empty());
  const io::curve_keypair s = io::read_secret_key_file(sec, "--curve-secret");
  CHECK(s.public_key == k.public_key);
  CHECK(s.secret_key == k.secret_key);
  REQUIRE_THROWS_WITH(io::read_secret_key_file(pub, "--curve-secret"), Contains("public key file"));
  // The secret never went into the public file.
  std::ifstream in(pub);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find(k.secret_key) == std::string::npos);

  // Never replaced silently.
  REQUIRE_THROWS_WITH(io::write_key_files(dir.path / "keys", "alice", io::generate_curve_keypair()), Contains("--force"));
  CHECK(io::read_key_file(pub).public_key == k.public_key);

  // A folder of clients: every *.key, not the secret files.
  io::write_key_files(dir.path / "keys", "bob", io::generate_curve_keypair());
  const auto keys = io::read_public_keys(dir.path / "keys", "--curve-clients");
  CHECK(keys.size() == 2);
  CHECK(std::find(keys.begin(), keys.end(), k.public_key) != keys.end());
  REQUIRE_THROWS_WITH(io::read_public_keys(dir.path / "nothing", "--curve-clients"), Contains("--curve-clients"));
  fs::create_directories(dir.path / "empty");
  REQUIRE_THROWS_WITH(io::read_public_keys(dir.path / "empty", "--curve-clients"), Contains("no *.key file"));

  // A secret file others can read is refused; so is a secret key that is not the public key's.
  fs::permissions(sec, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  REQUIRE_THROWS_WITH(io::read_key_file(sec), Contains("chmod 600"));
  fs::permissions(sec, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  {
    std::ofstream bad(dir.path / "keys" / "mixed.key_secret");
    bad << "curve\n    public-key = \"" << k.public_key << "\"\n    secret-key = \""
        << io::generate_curve_keypair().secret_key << "\"\n";
  }
  fs::permissions(dir.path / "keys" / "mixed.key_secret", fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace);
  REQUIRE_THROWS_WITH(io::read_key_file(dir.path / "keys" / "mixed.key_secret"), Contains("does not belong"));
  REQUIRE_THROWS_WITH(io::load_curve_client_keys(pub.string(), ""), Contains("--curve-secret"));
  REQUIRE_THROWS_WITH(io::load_curve_server_keys(sec.string(), ""), Contains("--curve-clients"));
}

TEST_CASE("with CURVE only a listed client key gets acks and readouts, the others get nothing, the server "
          "keeps serving", "[security][curve][e2e]") {
  const io::curve_keypair server_keys = io::generate_curve_keypair();
  const io::curve_keypair alice = io::generate_curve_keypair(), mallory = io::generate_curve_keypair();
  io::server_options o = options(io::run_mode::realtime);
  o.curve = io::curve_server_keys{server_keys, {alice.public_key}};
  io::server srv(o);
  srv.start();

  io::client good(srv.command_endpoint(), srv.pub_endpoint(), {}, io::curve_client_keys{server_keys.public_key, alice});
  REQUIRE(good.sync_subscription(20s));
  CHECK(srv.curve_accepted() >= 2);  // both of alice's sockets went through ZAP

  io::client no_keys(srv.command_endpoint(), srv.pub_endpoint());
  io::client unlisted(srv.command_endpoint(), srv.pub_endpoint(), {},
                      io::curve_client_keys{server_keys.public_key, mallory});
  // The right client key but another server's public key: the handshake fails on the client's side.
  io::client wrong_server(srv.command_endpoint(), srv.pub_endpoint(), {},
                          io::curve_client_keys{io::generate_curve_keypair().public_key, alice});

  const auto got = listen({&good, &no_keys, &unlisted, &wrong_server}, 1500ms);
  INFO("good " << got[0].acks << " acks, " << got[0].stream << " stream messages");
  CHECK(got[0].acks >= 10);
  CHECK(got[0].stream >= 100);  // 1 ms ticks for 1.5 s (~1500 readouts on an idle machine), acks, status, info
  CHECK(got[1].acks == 0);
  CHECK(got[1].stream == 0);
  CHECK(got[2].acks == 0);
  CHECK(got[2].stream == 0);
  CHECK(got[3].acks == 0);
  CHECK(got[3].stream == 0);
  CHECK(srv.curve_denied() >= 2);  // mallory's two sockets (libzmq retries: maybe more)
  CHECK_THAT(srv.curve_last_denied(), Contains(mallory.public_key));
  CHECK_FALSE(srv.finished());

  // Still serving the admitted client, and none of the refused pings reached the engine.
  const auto ack = good.wait_ack(good.send(ping()), 5s);
  REQUIRE(ack);
  CHECK(ack->accepted);
  const auto status = srv.latest_status();
  REQUIRE(status);
  // Alice's pings only: sync (>= 1) + about 15 in the window + this one; the refused ones would add ~45.
  CHECK(status->io.commands_received <= 30);

  // Topic "status" carries the ZAP counters (issue 9): alice's sockets admitted, mallory's refused, as the server
  // counts them. Break tried: io_thread not copying the zap_handler's counters into the status -> curve false and
  // 0 / 0 on the wire, no status qualifies within 5 s and the REQUIRE fails.
  bool seen = false;
  proto_status_counts counts;
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (!seen && std::chrono::steady_clock::now() < until) {
    const auto m = good.receive(500ms);
    if (!m || m->topic != io::kTopicStatus) continue;
    const io::proto::Status* s = m->message()->payload_as_Status();
    REQUIRE(s);
    counts = {s->curve(), s->curve_accepted(), s->curve_denied()};
    seen = counts.denied >= 2;
  }
  INFO("last status: curve " << counts.curve << ", accepted " << counts.accepted << ", denied " << counts.denied);
  REQUIRE(seen);
  CHECK(counts.curve);
  CHECK(counts.accepted >= 2);
  CHECK(counts.accepted <= srv.curve_accepted());  // a status is a snapshot of the same counters, taken earlier
  CHECK(counts.denied <= srv.curve_denied());
  const auto snapshot = srv.latest_status();
  REQUIRE(snapshot);
  CHECK(snapshot->io.curve);
  CHECK(snapshot->io.curve_denied >= 2);
}

TEST_CASE("without CURVE the status says so, with no handshake counted", "[security][curve][status]") {
  io::server srv(options(io::run_mode::realtime));
  srv.start();
  io::client c(srv.command_endpoint(), srv.pub_endpoint(), {std::string(io::kTopicStatus), std::string(io::kTopicAck)});
  REQUIRE(c.sync_subscription(20s));
  const auto until = std::chrono::steady_clock::now() + 5s;
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < until) {
    const auto m = c.receive(500ms);
    if (!m || m->topic != io::kTopicStatus) continue;
    const io::proto::Status* s = m->message()->payload_as_Status();
    REQUIRE(s);
    CHECK_FALSE(s->curve());
    CHECK(s->curve_accepted() == 0);
    CHECK(s->curve_denied() == 0);
    seen = true;
  }
  CHECK(seen);
}
