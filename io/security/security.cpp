#include "io/security/security.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cortexloop::io {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kZ85KeyChars = 40;

bool decode_key(const std::string& z85, std::array<std::uint8_t, 32>& out) {
  if (z85.size() != kZ85KeyChars) return false;
  return zmq_z85_decode(out.data(), z85.c_str()) != nullptr;
}

std::string encode_key(const std::uint8_t* bytes) {
  char text[kZ85KeyChars + 1];
  if (!zmq_z85_encode(text, bytes, 32)) return {};
  return std::string(text, kZ85KeyChars);
}

std::string octal_mode(mode_t m) {
  char text[8];
  std::snprintf(text, sizeof text, "0%03o", static_cast<unsigned>(m & 0777));
  return text;
}

std::string banner(bool secret) {
  char when[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  std::string b = "#   ****  Generated on " + std::string(when) + " by cortexloop keys  ****\n";
  if (secret)
    b += "#   ZeroMQ CURVE **Secret** Certificate\n"
         "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n\n";
  else
    b += "#   ZeroMQ CURVE Public Certificate\n"
         "#   Exchange securely, or use a secure mechanism to verify the contents\n"
         "#   of this file after exchange.\n\n";
  return b;
}

// Creates `path` with exactly `mode` (O_EXCL: never follows or reuses what is there) and writes `text`.
void write_new_file(const fs::path& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) throw std::runtime_error("cannot create " + path.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, mode) == 0;  // the umask may have narrowed it; never wider than asked
  std::size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  const int saved = errno;
  if (::close(fd) != 0) ok = false;
  if (!ok) {
    ::unlink(path.c_str());
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(saved));
  }
}

std::string quoted_value(const std::string& line) {
  const std::size_t eq = line.find('=');
  if (eq == std::string::npos) return {};
  std::string v = line.substr(eq + 1);
  const auto strip = [](char c) { return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '\r'; };
  while (!v.empty() && strip(v.front())) v.erase(v.begin());
  while (!v.empty() && strip(v.back())) v.pop_back();
  return v;
}

}  // namespace

curve_keypair generate_curve_keypair() {
  char pub[kZ85KeyChars + 1], sec[kZ85KeyChars + 1];
  if (zmq_curve_keypair(pub, sec) != 0)
    throw std::runtime_error(std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno()) +
                             " (libzmq built without CURVE?)");
  return {std::string(pub, kZ85KeyChars), std::string(sec, kZ85KeyChars)};
}

std::pair<fs::path, fs::path> write_key_files(const fs::path& dir, const std::string& name, const curve_keypair& keys,
                                              bool overwrite) {
  if (!is_key_name(name))
    throw std::invalid_argument("key name '" + name + "': a file name without '/'");
  std::array<std::uint8_t, 32> scratch;
  if (!decode_key(keys.public_key, scratch) || !decode_key(keys.secret_key, scratch))
    throw std::invalid_argument("not a CURVE key pair (two 40-character Z85 keys)");
  fs::create_directories(dir);
  const fs::path pub = dir / (name + ".key"), sec = dir / (name + ".key_secret");
  for (const fs::path& p : {pub, sec}) {
    if (!fs::exists(fs::symlink_status(p))) continue;
    if (!overwrite) throw std::runtime_error(p.string() + " exists (--force replaces it)");
    fs::remove(p);
  }
  const std::string pub_line = "curve\n    public-key = \"" + keys.public_key + "\"\n";
  write_new_file(sec, banner(true) + "metadata\n" + pub_line + "    secret-key = \"" + keys.secret_key + "\"\n", 0600);
  write_new_file(pub, banner(false) + "metadata\n" + pub_line, 0644);
  return {pub, sec};
}

curve_keypair read_key_file(const fs::path& path) {
  const auto fail = [&](const std::string& why) -> curve_keypair {
    throw std::runtime_error("key file " + path.string() + ": " + why);
  };
  std::ifstream in(path);
  if (!in) return fail(std::string("cannot read it (") + std::strerror(errno) + ")");
  curve_keypair k;
  std::string line;
  while (std::getline(in, line)) {
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line.erase(0, start);
    if (line.rfind("public-key", 0) == 0) k.public_key = quoted_value(line);
    if (line.rfind("secret-key", 0) == 0) k.secret_key = quoted_value(line);
  }
  std::array<std::uint8_t, 32> pub{}, sec{};
  if (k.public_key.empty()) return fail("no public-key line (write key files with `cortexloop keys`)");
  if (!decode_key(k.public_key, pub)) return fail("public-key is not 40 characters of Z85");
  if (!k.secret_key.empty()) {
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
      return fail("holds a secret key but has mode " + octal_mode(st.st_mode) +
                  ": other users can read it; chmod 600 " + path.string());
    if (!decode_key(k.secret_key, sec)) return fail("secret-key is not 40 characters of Z85");
    char derived[kZ85KeyChars + 1];
    if (zmq_curve_public(derived, k.secret_key.c_str()) != 0 || k.public_key != std::string(derived, kZ85KeyChars))
      return fail("its secret-key does not belong to its public-key");
  }
  return k;
}

curve_keypair read_secret_key_file(const fs::path& path, const std::string& what) {
  curve_keypair k = read_key_file(path);
  if (k.secret_key.empty())
    throw std::runtime_error(what + " " + path.string() +
                             ": a public key file; give the NAME.key_secret file written with it by `cortexloop keys`");
  return k;
}

std::vector<std::string> read_public_keys(const fs::path& dir_or_file, const std::string& what) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(dir_or_file, ec)) {
    for (const auto& e : fs::directory_iterator(dir_or_file))
      if (e.path().extension() == ".key" && e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
  } else if (fs::exists(dir_or_file, ec)) {
    files.push_back(dir_or_file);
  } else {
    throw std::runtime_error(what + " " + dir_or_file.string() + ": no such file or directory");
  }
  std::vector<std::string> keys;
  for (const fs::path& f : files) keys.push_back(read_key_file(f).public_key);
  if (keys.empty())
    throw std::runtime_error(what + " " + dir_or_file.string() +
                             ": no *.key file (public keys of the clients to admit, from `cortexloop keys`)");
  return keys;
}

curve_server_keys load_curve_server_keys(const std::string& secret_file, const std::string& clients) {
  if (clients.empty())
    throw std::invalid_argument("--curve-secret needs --curve-clients DIR (the public keys of the clients to admit): "
                                "without it any client that knows the server's public key would be admitted");
  if (secret_file.empty()) throw std::invalid_argument("--curve-clients needs --curve-secret SERVER.key_secret");
  return {read_secret_key_file(secret_file, "--curve-secret"), read_public_keys(clients, "--curve-clients")};
}

std::optional<curve_client_keys> load_curve_client_keys(const std::string& server_key_file,
                                                        const std::string& secret_file) {
  if (server_key_file.empty() && secret_file.empty()) return std::nullopt;
  if (server_key_file.empty())
    throw std::invalid_argument("--curve-secret needs --curve-server-key SERVER.key (the server's public key)");
  if (secret_file.empty())
    throw std::invalid_argument("--curve-server-key needs --curve-secret CLIENT.key_secret (this client's key pair, "
                                "whose public key the server lists in --curve-clients)");
  return curve_client_keys{read_key_file(server_key_file).public_key,
                           read_secret_key_file(secret_file, "--curve-secret")};
}

void apply_curve_server(zmq::socket_t& socket, const curve_keypair& server) {
  socket.set(zmq::sockopt::zap_domain, "cortexloop");
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, server.secret_key);
}

void apply_curve_client(zmq::socket_t& socket, const curve_client_keys& keys) {
  socket.set(zmq::sockopt::curve_serverkey, keys.server_public_key);
  socket.set(zmq::sockopt::curve_publickey, keys.client.public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys.client.secret_key);
}

endpoint_scope scope_of(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0) return endpoint_scope::local;
  if (endpoint.rfind("tcp://", 0) != 0) return endpoint_scope::unknown;
  std::string host = endpoint.substr(6);
  const std::size_t colon = host.rfind(':');
  if (colon == std::string::npos) return endpoint_scope::unknown;
  host.resize(colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "*") return endpoint_scope::remote;
  if (host == "localhost") return endpoint_scope::local;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127 ? endpoint_scope::local : endpoint_scope::remote;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return endpoint_scope::local;
    if (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127) return endpoint_scope::local;
    return endpoint_scope::remote;
  }
  return endpoint_scope::unknown;
}

zap_handler::zap_handler(zmq::context_t& context, const std::vector<std::string>& allowed_public_keys)
    : context_(context), socket_(context, zmq::socket_type::rep), stop_rx_(context, zmq::socket_type::pair) {
  for (const std::string& k : allowed_public_keys) {
    std::array<std::uint8_t, 32> bin{};
    if (!decode_key(k, bin)) throw std::invalid_argument("client public key '" + k + "' is not 40 characters of Z85");
    allowed_.push_back(bin);
  }
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");  // EADDRINUSE: a second handler in one context
  stop_rx_.set(zmq::sockopt::linger, 0);
  char id[64];
  std::snprintf(id, sizeof id, "inproc://cortexloop.zap.stop.%p", static_cast<void*>(this));
  stop_endpoint_ = id;
  stop_rx_.bind(stop_endpoint_);
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "cl-zap");
}

zap_handler::~zap_handler() {
  try {
    zmq::socket_t stop(context_, zmq::socket_type::pair);
    stop.set(zmq::sockopt::linger, 0);
    stop.connect(stop_endpoint_);
    stop.send(zmq::str_buffer("stop"), zmq::send_flags::none);
    if (thread_.joinable()) thread_.join();
  } catch (...) {
    if (thread_.joinable()) thread_.detach();  // cannot happen with a live context; never terminate()
  }
}

std::string zap_handler::last_denied() const {
  std::lock_guard lock(last_mutex_);
  return last_denied_;
}

// RFC 27: request = version, request id, domain, address, routing id, mechanism, credentials...; reply = version,
// request id, status code, status text, user id, metadata.
void zap_handler::run() {
  zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}, {stop_rx_.handle(), 0, ZMQ_POLLIN, 0}};
  for (;;) {
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(-1));
    } catch (const zmq::error_t&) {
      return;  // context terminated
    }
    if (items[1].revents & ZMQ_POLLIN) return;
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> frames;
    for (;;) {
      zmq::message_t f;
      if (!socket_.recv(f, zmq::recv_flags::none)) break;
      const bool more = f.more();
      frames.push_back(std::move(f));
      if (!more) break;
    }
    const auto text = [&](std::size_t i) { return i < frames.size() ? frames[i].to_string() : std::string(); };
    bool ok = false;
    std::string key;
    if (frames.size() >= 7 && text(0) == "1.0" && text(5) == "CURVE" && frames[6].size() == 32) {
      const auto* k = static_cast<const std::uint8_t*>(frames[6].data());
      key = encode_key(k);
      ok = std::any_of(allowed_.begin(), allowed_.end(),
                       [&](const std::array<std::uint8_t, 32>& a) { return std::memcmp(a.data(), k, 32) == 0; });
    }
    if (ok) {
      accepted_.fetch_add(1, std::memory_order_relaxed);
    } else {
      denied_.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lock(last_mutex_);
      last_denied_ = text(3) + ", " + (key.empty() ? "mechanism " + text(5) : "key " + key);
    }
    const std::string request_id = text(1), status = ok ? "200" : "400";
    const std::string reason = ok ? "OK" : "client key not authorised", user = ok ? key : std::string();
    socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(reason), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(user), zmq::send_flags::sndmore);
    socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
  }
}

}  // namespace cortexloop::io
