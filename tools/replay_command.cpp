#include "tools/replay_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/network/steps_network.hpp"

#include "io/aln_cache/engine_table.hpp"
#include "io/protocol/build_info.hpp"
#include "io/protocol/codec.hpp"
#include "io/protocol/format_number.hpp"
#include "io/client/client.hpp"
#include "engine/network/workers.hpp"
#include "io/config/config_file.hpp"
#include "io/config/config_loader.hpp"
#include "io/recording/array_descriptions.hpp"
#include "io/recording/npy.hpp"
#include "tools/record_irregular.hpp"
#include "io/server/server.hpp"
#include "io/protocol/session.hpp"
#include "tools/number_checks.hpp"
#include "tools/readout_rows.hpp"
#include "tools/stop_request.hpp"

namespace cortexloop::tools {

namespace {

// Exit codes.
constexpr int kIdentical = 0, kDifferent = 1, kNotReplayable = 3;

struct replay_options {
  std::string dir;
  bool quiet = false;
  double timeout_s = 60.0;
  std::int64_t max_step = 1000;  // ticks per Step: the readouts of one Step are read before the next
};

struct recorded_command {
  std::int64_t index = 0, tick = -1, tick_applied = -1;
  std::uint32_t epoch = 0, epoch_applied = 0;
  bool accepted = false;
  bool reset = false;  // a Reset (an accepted one leads to epoch epoch_applied)
  int code = 0;
  std::uint64_t seq = 0;
  std::string kind;
  std::vector<std::uint8_t> bytes;
};

struct not_replayable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "[a, b]", or "[n, b]" with rows named n.
std::string shape_text(std::span<const std::size_t> dims, const char* rows = nullptr) {
  std::string s = "[";
  if (rows) s += rows;
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i > 0 || rows ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// A stored array in the dtype and row shape (its shape after the row count) record writes it with, or not_replayable
// naming the file, both dtypes and both shapes: a ticks.npy saved as float32 was "ticks.npy and readout_hash.npy do
// not match", a float64 rates.npy or one with an extra column a difference (exit 1), and a rates.npy reshaped to
// [n, 2, 1] compared as equal (an outside audit, 2026-12-07).
void check_layout(const std::string& file, const std::string& descr, const std::vector<std::size_t>& shape,
                  const char* want_descr, std::span<const std::size_t> want_row) {
  if (descr == want_descr && !shape.empty() &&
      std::equal(shape.begin() + 1, shape.end(), want_row.begin(), want_row.end()))
    return;
  throw not_replayable(file + ": dtype " + descr + ", shape " + shape_text(shape) + ", where record writes it as " +
                       want_descr + ", shape " + shape_text(want_row, "n") + " (n readouts): a damaged or replaced array");
}

// A recorder killed (SIGKILL, a crash) before its end leaves its arrays as NAME.partial and no session.toml or
// summary.json, which read as "missing ... of this version" (an outside check, 2026-12-06).
bool killed_recording(const std::filesystem::path& folder) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(folder, ec))
    if (e.path().extension() == ".partial") return true;
  return false;
}

// A recording's files are regular files: a device or a FIFO in a file's place is refused, not read.
void refuse_unless_file(const std::filesystem::path& p) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec))
    throw not_replayable(p.string() + ": not a regular file (a recording made by `cortexloop record` holds files)");
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in && killed_recording(p.parent_path()))
    throw not_replayable(p.string() + ": missing, and the folder holds .partial arrays: a recording whose `cortexloop "
                                      "record` was killed before it finished; it cannot be replayed (its rows so far "
                                      "are readable under the .partial names)");
  if (!in) throw not_replayable(p.string() + ": missing (a recording made by `cortexloop record` of this version has it)");
  // record writes these as files of a few kB (session.toml: a config, whose reader takes at most 16 MiB): anything
  // else is not a recording's, and a device (/dev/zero linked in its place) was read for ever (an outside audit,
  // 2026-12-07).
  refuse_unless_file(p);
  if (std::filesystem::file_size(p) > io::kMaxConfig_bytes)
    throw not_replayable(p.string() + ": " + std::to_string(std::filesystem::file_size(p)) + " bytes, more than the " +
                         std::to_string(io::kMaxConfig_bytes) + " a recording's session file may hold");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<recorded_command> read_commands(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) throw not_replayable(p.string() + ": missing");
  refuse_unless_file(p);  // a regular file's lines end; /dev/zero's one line grew for ever
  std::vector<recorded_command> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      // Counts and ticks are whole numbers: nlohmann converts a float (a tick of 139.5) to an integer silently.
      auto whole = [&j](const char* key) -> const nlohmann::json& {
        const nlohmann::json& v = j.at(key);
        if (!v.is_number_integer()) throw std::runtime_error(std::string(key) + " = " + v.dump() + ": not a whole number");
        return v;
      };
      recorded_command c;
      c.index = whole("index");
      c.tick = whole("tick");
      c.epoch = whole("epoch");
      c.accepted = j.at("accepted");
      c.code = whole("code");
      c.tick_applied = whole("tick_applied");
      c.epoch_applied = whole("epoch_applied");
      c.seq = whole("seq");
      c.kind = j.value("kind", "?");
      auto bytes = io::base64_decode(j.at("command").get<std::string>());
      if (!bytes) throw std::runtime_error("command is not base64");
      c.bytes = std::move(*bytes);
      // A server drops the connection of a larger frame (ZMQ_MAXMSGSIZE) and applies nothing: such a line was never
      // applied, and its replay waited out the whole --timeout for an ack (an outside audit, 2026-12-07).
      if (static_cast<std::int64_t>(c.bytes.size()) > io::kMaxCommand_bytes)
        throw std::runtime_error("command of " + std::to_string(c.bytes.size()) + " bytes, over the " +
                                 std::to_string(io::kMaxCommand_bytes) + " a server takes (max_command_bytes): no "
                                 "server applied it");
      // The ack is awaited by the line's seq: a command whose bytes carry another (one flipped bit) waited out the
      // whole --timeout and ended as "no ack" (an outside audit, 2026-12-06). Checked here, before anything runs.
      const io::proto::Message* m = io::verify_message(c.bytes);
      const io::proto::Command* cmd = m ? m->payload_as_Command() : nullptr;
      if (!cmd) throw std::runtime_error("command is not a verifiable Command");
      c.reset = cmd->body_type() == io::proto::CommandBody::Reset;
      if (cmd->seq() != c.seq)
        throw std::runtime_error("seq " + std::to_string(c.seq) + ", but its command's bytes carry seq " +
                                 std::to_string(cmd->seq()));
      out.push_back(std::move(c));
    } catch (const std::exception& e) {
      throw not_replayable(p.string() + ":" + std::to_string(n) + ": " + e.what());
    }
  }
  return out;
}

// Commands with no effect on what a replay driven tick by tick computes, sent as a Ping (which keeps the recorded
// command's place and ack): Step, Pause and Resume (the replay steps to each command's tick itself) and the stream
// settings (spikes and readout decimation change what is published, not what is computed; the replay needs every
// readout).
bool replaced_by_ping(const io::proto::Command& c) {
  using B = io::proto::CommandBody;
  switch (c.body_type()) {
    case B::Step:
    case B::Pause:
    case B::Resume:
      return true;
    case B::SetParameter: {
      const auto* p = c.body_as_SetParameter();
      return p && p->name() && std::string_view(p->name()->c_str()).starts_with("stream.");
    }
    default:
      return false;
  }
}

class replayer {
 public:
  replayer(const replay_options& o) : o_(o), dir_(o.dir) {}
  int run();

 private:
  void say(const char* fmt, auto... args) {
    if (!o_.quiet) std::fprintf(stderr, fmt, args...);
  }
  void difference(const std::string& what) {
    ++differences_;
    std::fprintf(stderr, "replay: difference: %s\n", what.c_str());
  }
  void note(const std::string& what) { std::fprintf(stderr, "replay: note: %s\n", what.c_str()); }
  std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(std::llround(o_.timeout_s * 1000)); }
  void compare_build(const nlohmann::json& recorded);
  void step_to(std::int64_t target);
  void handle_readout(const io::proto::Readout& r);
  void open_stored_arrays(std::size_t rows, const nlohmann::json& listed);
  void compare_stored_rows(std::size_t row, const io::proto::Readout& r);
  void apply(const recorded_command& c);

  replay_options o_;
  std::filesystem::path dir_;
  std::unique_ptr<io::server> server_;
  std::unique_ptr<io::client> client_;
  flatbuffers::FlatBufferBuilder fbb_{256};
  std::map<std::pair<std::uint32_t, std::int64_t>, std::size_t> rows_;  // (epoch, tick) -> row of the recording
  std::vector<std::uint64_t> hashes_;
  std::vector<bool> seen_;
  // Rows record kept with NaN for values the readout did not carry (summary.json "irregular_readouts"): not compared.
  std::set<std::int64_t> irregular_;
  std::int64_t irregular_seen_ = 0;
  std::optional<std::pair<std::uint32_t, std::int64_t>> first_irregular_;
  std::uint32_t epoch_ = 0;
  std::int64_t tick_ = 0;  // the replay engine's next tick
  // An [aln] node alone: record wrote the node's rates, V and I_A into rates.npy, mean_v.npy and mean_w.npy.
  bool node_alone_ = false;
  std::int64_t compared_ = 0, differing_ticks_ = 0, differences_ = 0;
  std::optional<std::pair<std::uint32_t, std::int64_t>> first_differing_;
  // The recording's per-readout arrays (readout_rows.hpp), each compared row by row with the replayed readouts'.
  struct stored_array {
    io::npy_row_reader file;
    bool compared = false;  // a replayed readout had a row of it
  };
  std::map<std::string, stored_array, std::less<>> stored_;
  std::vector<std::string> row_differences_;  // the current readout's, named
  std::vector<float> scratch_;                // device_rows' row under construction
};

void replayer::compare_build(const nlohmann::json& b) {
  const io::build_info& h = io::this_build();
  const std::pair<const char*, std::string> fields[] = {
      {"version", h.version}, {"git_commit", h.git_commit}, {"compiler", h.compiler}, {"build_type", h.build_type},
      {"flags", h.flags},     {"fp_contract", h.fp_contract}, {"isa", h.isa}};
  for (const auto& [key, here] : fields) {
    const std::string there = b.is_object() ? b.value(key, std::string("?")) : std::string("?");
    if (there != here)
      note(std::string("build ") + key + ": recorded \"" + there + "\", this binary \"" + here +
           "\" (a different binary may round differently: docs/protocol.md, \"Bit-identity\")");
  }
}

// Opens every per-readout array the recording holds (io::array_descriptions' files but spikes.npy, which is not one
// row a readout, and readout_hash.npy, compared on its own), each checked for a row per readout of ticks.npy.
// `listed` is summary.json's "arrays", every array record wrote (spikes.npy among them, checked so but not compared):
// one of them missing is a damaged recording (a deleted rates.npy, or every array but ticks.npy and readout_hash.npy,
// replayed as bit-identical: an outside audit, 2026-12-07), and so is an array of record's it does not list (an
// extra lfp.npy beside an ALN node alone was ignored, an extra vsdi.npy a difference). A .npy of a name record never
// writes is not compared, and said.
void replayer::open_stored_arrays(std::size_t rows, const nlohmann::json& listed) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".npy" && !io::array_descriptions().contains(name))
      note(name + ": not an array record writes; not compared");
  }
  for (const auto& [name, what] : io::array_descriptions()) {
    const bool present = std::filesystem::exists(dir_ / name);
    if (listed.contains(name) && !present)
      throw not_replayable(name + ": missing, where summary.json's \"arrays\" lists it (record wrote it)");
    if (!listed.contains(name) && present)
      throw not_replayable(name + ": in the folder, but not in summary.json's \"arrays\": record did not write it");
    if (name == "spikes.npy" || name == "readout_hash.npy" || !present) continue;
    io::npy_row_reader file(dir_ / name);
    if (file.rows() != rows || file.shape().empty())
      throw not_replayable(name + ": " + std::to_string(file.rows()) + " rows, where ticks.npy has " +
                           std::to_string(rows) + " (the recorder writes one a readout)");
    stored_.emplace(name, stored_array{std::move(file)});
  }
}

// Compares row `row` of each stored array with the rows record writes for the replayed readout r (readout_rows.hpp),
// bit for bit; names, in row_differences_, the first value of each array that differs.
void replayer::compare_stored_rows(std::size_t row, const io::proto::Readout& r) {
  row_differences_.clear();
  auto compare = [&](const char* name, tools::row_shape row_shape, auto values) {
    using T = typename decltype(values)::value_type;
    const std::string_view file(name);
    // An [aln] node alone: rates.npy, mean_v.npy and mean_w.npy are copies of the node's aln_*.npy (record_command.cpp),
    // compared with the node's rows; the readouts' network fields (all 0) are in no file.
    if (node_alone_ && (file == "rates.npy" || file == "mean_v.npy" || file == "mean_w.npy")) return;
    const std::string_view copy = node_alone_ && file.starts_with("aln_") ? file.substr(4) : std::string_view();
    for (const std::string_view f : {file, copy}) {
      if (f.empty()) continue;
      const auto it = stored_.find(f);
      if (f == "readout_hash.npy" || it == stored_.end()) continue;  // the hash compared on its own; a file not kept
      stored_array& a = it->second;
      a.compared = true;
      // Another dtype or row shape than the replay's row is a damaged array (exit 3), not a difference.
      check_layout(std::string(f), a.file.descr(), a.file.shape(), io::npy_descr<T>(),
                   std::span<const std::size_t>(row_shape.begin(), row_shape.size()));
      const std::span<const std::uint8_t> bytes = a.file.row(row);
      // An empty row (device_electrodes.npy with no electrodes) is equal: memcmp must not see its null pointers
      // (UBSan, CI run 163).
      if (bytes.empty() || std::memcmp(bytes.data(), values.data(), bytes.size()) == 0) continue;
      for (std::size_t k = 0; k < values.size(); ++k) {
        T rec;
        std::memcpy(&rec, bytes.data() + k * sizeof(T), sizeof(T));
        if (std::memcmp(&rec, &values[k], sizeof(T)) == 0) continue;
        // The value's place in the row: its column, or [i, j] in a row of more dimensions (device_sensing.npy).
        const std::vector<std::size_t>& shape = a.file.shape();
        std::string at;
        for (std::size_t d = shape.size(), rest = k; d-- > 1;) {
          at = std::to_string(rest % shape[d]) + (at.empty() ? "" : ", " + at);
          rest /= shape[d];
        }
        // Digits enough to tell any two values of its type apart: a t_ms 1e-9 ms off printed "recorded 1555,
        // replayed 1555" (an outside audit, 2026-12-07).
        const int digits = std::is_same_v<T, double> ? 17 : 9;
        char text[160];
        std::snprintf(text, sizeof text, ": recorded %.*g, replayed %.*g", digits, static_cast<double>(rec), digits,
                      static_cast<double>(values[k]));
        const std::string place = shape.size() == 2 ? " column " + at : shape.size() > 2 ? " [" + at + "]" : "";
        row_differences_.push_back(std::string(f) + place + text);
        break;
      }
    }
  };
  tools::readout_rows(r, compare);
  if (r.vsdi_percent()) tools::ring_rows(r, r.vsdi_percent()->size(), compare);
  if (r.device()) tools::device_rows(*r.device(), scratch_, compare);
}

void replayer::handle_readout(const io::proto::Readout& r) {
  const auto it = rows_.find({r.epoch(), r.tick()});
  if (it == rows_.end()) return;  // not in the recording (before it started, or lost on the way): nothing to compare
  const std::size_t row = it->second;
  seen_[row] = true;
  // Record stored NaN for what this readout lacked on the wire: neither its hash nor its rows can match, and calling
  // them a difference in the data, or the array damaged, would mislead. Named at the end.
  if (irregular_.count(static_cast<std::int64_t>(row)) != 0) {
    if (irregular_seen_++ == 0) first_irregular_ = {r.epoch(), r.tick()};
    return;
  }
  ++compared_;
  const bool hash_differs = io::readout_hash(r) != hashes_[row];
  compare_stored_rows(row, r);
  if (!hash_differs && row_differences_.empty()) return;
  ++differing_ticks_;
  if (first_differing_) return;
  first_differing_ = {r.epoch(), r.tick()};
  difference("first differing readout: epoch " + std::to_string(r.epoch()) + ", tick " + std::to_string(r.tick()) +
             " (row " + std::to_string(row) + " of ticks.npy)");
  if (!hash_differs)
    std::fprintf(stderr, "replay:   its hash agrees with readout_hash.npy: the stored arrays below were altered after "
                         "the recording\n");
  else if (row_differences_.empty())
    std::fprintf(stderr, "replay:   readout_hash.npy differs; the stored arrays agree at the precision record keeps: "
                         "the difference is in the full-precision value or a field only the hash holds\n");
  for (const std::string& f : row_differences_) std::fprintf(stderr, "replay:   %s\n", f.c_str());
}

void replayer::step_to(std::int64_t target) {
  while (tick_ < target) {
    const std::int64_t n = std::min(target - tick_, o_.max_step);
    io::command step;
    step.kind = io::command_kind::step;
    step.ticks = static_cast<std::uint32_t>(n);
    const auto ack = client_->wait_ack(client_->send(step), timeout());
    if (!ack || !ack->accepted) throw std::runtime_error("the replay server did not accept a Step");
    const std::int64_t last = tick_ + n - 1;
    for (bool done = false; !done;) {
      const auto m = client_->receive(timeout());
      if (!m) throw std::runtime_error("no readout from the replay server within the timeout");
      const auto* r = m->message()->payload_as_Readout();
      if (!r) continue;
      handle_readout(*r);
      done = r->epoch() == epoch_ && r->tick() >= last;
    }
    tick_ += n;
  }
}

void replayer::apply(const recorded_command& c) {
  std::vector<std::uint8_t> bytes = c.bytes;
  const io::proto::Message* m = io::verify_message(bytes);
  const io::proto::Command* cmd = m ? m->payload_as_Command() : nullptr;
  if (!cmd) throw not_replayable("command #" + std::to_string(c.index) + " is not a verifiable Command");
  if (replaced_by_ping(*cmd)) {
    io::command ping;
    ping.kind = io::command_kind::ping;
    ping.seq = c.seq;
    io::encode_command(fbb_, ping);
    const auto span = fbb_.GetBufferSpan();
    client_->send_raw({span.data(), span.size()});
  } else {
    client_->send_raw(bytes);
  }
  const auto ack = client_->wait_ack(c.seq, timeout());
  if (!ack) throw std::runtime_error("no ack for command #" + std::to_string(c.index) + " (" + c.kind + ")");
  const std::string which = "command #" + std::to_string(c.index) + " (" + c.kind + ", seq " + std::to_string(c.seq) +
                            ", applied at epoch " + std::to_string(c.epoch) + " tick " + std::to_string(c.tick) + ")";
  if (ack->accepted != c.accepted)
    difference(which + ": " + (c.accepted ? "accepted" : "refused") + " in the recording, " +
               (ack->accepted ? "accepted" : "refused (" + ack->reason + ")") + " in the replay");
  else if (ack->accepted && (ack->tick_applied != c.tick_applied || ack->epoch != c.epoch_applied))
    difference(which + ": took effect at epoch " + std::to_string(c.epoch_applied) + " tick " +
               std::to_string(c.tick_applied) + " in the recording, epoch " + std::to_string(ack->epoch) + " tick " +
               std::to_string(ack->tick_applied) + " in the replay");
  if (ack->accepted && cmd->body_type() == io::proto::CommandBody::Reset) {
    epoch_ = ack->epoch;
    tick_ = 0;
  }
}

namespace {
// session.json with the keys the replay checks the recording against: record writes each of them, and one left out
// (a session.json of `{}`) skipped the checks of the command count, the first command and the config's hash
// silently and replayed to "bit-identical" (an outside check, 2026-12-06).
// A JSON file of the recording with these keys, each of its type (`has`), as record writes it.
struct recorded_json {
  std::filesystem::path file;
  nlohmann::json j;
  explicit recorded_json(std::filesystem::path f) : file(std::move(f)) {
    try {
      j = nlohmann::json::parse(read_text(file));
    } catch (const nlohmann::json::exception& e) {
      throw not_replayable(file.string() + ": not the JSON record writes (" + e.what() + ")");
    }
  }
  void has(const char* key, bool (nlohmann::json::*is)() const noexcept, const char* what) const {
    if (!j.is_object() || !j.contains(key) || !(j[key].*is)())
      throw not_replayable(file.string() + ": no \"" + key + "\" (" + what + "), which record writes and the replay "
                           "checks the recording against");
  }
};

nlohmann::json read_session(const std::filesystem::path& file) {
  const recorded_json r(file);
  const nlohmann::json& session = r.j;
  r.has("commands", &nlohmann::json::is_number_integer, "an integer");
  r.has("config_fnv1a", &nlohmann::json::is_string, "a string");
  // The readouts it recorded (ticks.npy's rows) and the ticks it lost between them (a row removed from every array
  // replayed as bit-identical: an outside audit, 2026-12-07).
  r.has("readouts", &nlohmann::json::is_number_integer, "an integer");
  r.has("missing_ticks", &nlohmann::json::is_number_integer, "an integer");
  if (!session.contains("first_command_index") ||
      !(session["first_command_index"].is_null() || session["first_command_index"].is_number_integer()))
    throw not_replayable(file.string() + ": no \"first_command_index\" (an integer, or null without commands), "
                         "which record writes and the replay checks the recording against");
  return session;
}

// summary.json's "arrays" (every array record wrote) and "decimated_ticks" (the ticks between readouts that were the
// stream's decimation, stream.readout_every, as record counted them).
nlohmann::json read_summary(const std::filesystem::path& file) {
  const recorded_json r(file);
  r.has("arrays", &nlohmann::json::is_object, "an object naming every array record wrote");
  r.has("decimated_ticks", &nlohmann::json::is_number_integer, "an integer");
  return r.j;
}
}  // namespace

int replayer::run() {
  // Before any file is opened: a FIFO in a file's place blocked its open for ever (an outside check, 2026-12-07),
  // a device was read for ever. Every file of the kinds record writes must be a regular file.
  {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
      const std::string ext = e.path().extension().string();
      if (ext == ".npy" || ext == ".json" || ext == ".jsonl" || ext == ".toml") refuse_unless_file(e.path());
    }
  }
  // A recording whose recorder had no Info of the server (record's exit 6) says so in summary.json: named, rather than
  // "session.toml: missing" as for a deleted file (an outside audit, 2026-12-07).
  if (!std::filesystem::exists(dir_ / "session.toml")) {
    std::ifstream in(dir_ / "summary.json");
    const nlohmann::json s = nlohmann::json::parse(in, nullptr, false);
    if (s.is_object() && s.contains("session") && s["session"].is_object() && s["session"].value("replayable", true) == false)
      throw not_replayable("session.toml: missing: record received no Info of the server it recorded (its config "
                           "and seed; summary.json \"session\", record's exit 6), so this recording cannot be re-run");
  }
  const std::string config = read_text(dir_ / "session.toml");
  const nlohmann::json session = read_session(dir_ / "session.json");
  std::vector<recorded_command> commands = read_commands(dir_ / "commands.jsonl");
  const nlohmann::json summary = read_summary(dir_ / "summary.json");
  const io::npy_array ticks = io::read_npy(dir_ / "ticks.npy");
  const io::npy_array hashes = io::read_npy(dir_ / "readout_hash.npy");
  constexpr std::size_t kTicksRow[] = {3};
  check_layout("ticks.npy", ticks.descr, ticks.shape, io::npy_descr<double>(), kTicksRow);
  check_layout("readout_hash.npy", hashes.descr, hashes.shape, io::npy_descr<std::uint64_t>(), {});
  if (hashes.shape[0] != ticks.shape[0])
    throw not_replayable("ticks.npy has " + std::to_string(ticks.shape[0]) + " rows, readout_hash.npy " +
                         std::to_string(hashes.shape[0]) + " (record writes one each a readout)");
  const std::size_t n = hashes.size();
  hashes_.resize(n);
  seen_.assign(n, false);
  // Each row's epoch and tick are whole numbers in range, ascending as the recorder wrote them (a NaN or 1e30 was
  // converted to an integer, undefined behaviour, and a tampered row out of order compared as a difference, exit 1).
  // Within an epoch, the ticks between rows are the stream's decimation (summary.json's decimated_ticks: the ticks
  // record counted between readouts up to the stream.readout_every then in force) or the ticks the recorder lost
  // (session.json's missing_ticks): rows that skip more are a damaged ticks.npy (a last tick of 1e18 ran for ever;
  // rows removed from every array, or a last tick raised by one, replayed as bit-identical or a difference when
  // n x 999 skipped ticks were allowed whatever the session's readout_every: an outside audit, 2026-12-07). Named at
  // the first row past what record counted (record counts every step it saw, so an intact recording never is), after
  // every row is seen in order (a pair of rows swapped is named as such).
  constexpr double kMaxTick = 0x1p53;  // where doubles stop holding every whole number
  const std::int64_t missing_ticks = session["missing_ticks"].get<std::int64_t>();
  const std::int64_t decimated_ticks = summary["decimated_ticks"].get<std::int64_t>();
  std::int64_t gap_ticks = 0;
  std::string skips_too_many;
  for (std::size_t i = 0; i < n; ++i) {
    hashes_[i] = hashes.at<std::uint64_t>(i);
    const double e = ticks.at<double>(3 * i), t = ticks.at<double>(3 * i + 1);
    if (!(e >= 0 && e <= 4294967295.0 && e == std::floor(e) && t >= 0 && t < kMaxTick && t == std::floor(t)))
      throw not_replayable("ticks.npy row " + std::to_string(i) + ": epoch " + io::format_number(e).str() + ", tick " +
                           io::format_number(t).str() + " (whole numbers: an epoch below 2^32, a tick below 2^53)");
    const std::pair<std::uint32_t, std::int64_t> key{static_cast<std::uint32_t>(e), static_cast<std::int64_t>(t)};
    if (!rows_.empty() && !(rows_.rbegin()->first < key))
      throw not_replayable("ticks.npy row " + std::to_string(i) + " (epoch " + std::to_string(key.first) + ", tick " +
                           std::to_string(key.second) + ") does not come after the row before it: the recorder writes "
                           "them in order");
    // Summed until the first row past the count only: a sum of steps near 2^53 would overflow.
    if (!rows_.empty() && rows_.rbegin()->first.first == key.first && skips_too_many.empty()) {
      const std::int64_t step = key.second - rows_.rbegin()->first.second;
      gap_ticks += step - 1;
      if (gap_ticks > missing_ticks + decimated_ticks)
        skips_too_many = "ticks.npy row " + std::to_string(i) + " (epoch " + std::to_string(key.first) + ", tick " +
                         std::to_string(key.second) + ") is " + std::to_string(step) + " ticks after the row before " +
                         "it: the rows up to it skip " + std::to_string(gap_ticks) + " ticks, more than the recorder " +
                         "lost (session.json missing_ticks " + std::to_string(missing_ticks) + ") and the stream's " +
                         "decimation accounts for (summary.json decimated_ticks " + std::to_string(decimated_ticks) +
                         "): a damaged ticks.npy";
    }
    rows_.emplace_hint(rows_.end(), key, i);
  }
  if (!skips_too_many.empty()) throw not_replayable(skips_too_many);
  // Nothing to compare: it printed "bit-identical: 0 ticks, 0 commands" and exit 0 for a recording that held no
  // readout (an outside audit, 2026-12-06).
  if (rows_.empty())
    throw not_replayable("ticks.npy holds no readout: the recording has nothing a replay could compare");
  say("replay: %zu readouts and %zu commands from %s\n", n, commands.size(), dir_.c_str());
  compare_build(session.value("build", nlohmann::json()));
  const std::string fnv = engine::fnv1a_hex(io::fnv1a(config));
  if (session.contains("config_fnv1a") && session["config_fnv1a"] != fnv)
    difference("session.toml is not the config the server published (FNV-1a " + fnv + ", recorded " +
               session["config_fnv1a"].get<std::string>() + ")");
  std::sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  // Applied.index counts every applied command once: a number twice (or a negative one) is a damaged file, not a
  // session to compare (it was reported as "commands #1 to #-1 were lost" and a difference, exit 1).
  if (!commands.empty() && commands.front().index < 0)
    throw not_replayable("commands.jsonl: command index " + std::to_string(commands.front().index) +
                         " is negative (the server counts from 0)");
  if (!commands.empty() && commands.front().index != 0)
    note(std::to_string(commands.front().index) + " command(s) applied before the recording started are not in it; "
         "the replay runs without them");
  for (std::size_t i = 1; i < commands.size(); ++i)
    if (commands[i].index == commands[i - 1].index)
      throw not_replayable("commands.jsonl: command index " + std::to_string(commands[i].index) +
                           " appears twice (each applied command has its own)");
  for (std::size_t i = 1; i < commands.size(); ++i)
    if (commands[i].index != commands[i - 1].index + 1)
      note("commands #" + std::to_string(commands[i - 1].index + 1) + " to #" + std::to_string(commands[i].index - 1) +
           " were lost by the recorder; the replay runs without them");
  if (session.value("commands_applied_before_first_info", std::int64_t{0}) > 0 && commands.empty())
    note("the server had applied commands before the recording started; they are not in it");

  // A command's tick beyond its epoch's last recorded readout by more than a second is a damaged commands.jsonl
  // (the recorder writes readouts as they come; a tick of 1e15 had the replay step for ever).
  std::map<std::uint32_t, std::int64_t> last_tick;
  for (const auto& [key, row] : rows_) last_tick[key.first] = std::max(last_tick[key.first], key.second);
  for (const recorded_command& c : commands) {
    const auto it = last_tick.find(c.epoch);
    const std::int64_t last = it == last_tick.end() ? -1 : it->second;
    if (c.tick < 0 || c.tick > last + 1000)
      throw not_replayable("command #" + std::to_string(c.index) + " (" + c.kind + ") at epoch " +
                           std::to_string(c.epoch) + " tick " + std::to_string(c.tick) + ", where the recording's " +
                           "readouts of that epoch end at tick " + std::to_string(last) + ": a damaged commands.jsonl");
  }

  // A recording started after a Reset begins in a later epoch, from a state the recording does not hold: the Reset
  // rebuilds the engine, but what it kept (the device's sensing filters and counters among it) depends on the whole
  // session before it, and resetting a fresh replay server does not reproduce it (tried: every tick differed). It
  // stopped at its first command as "not bit-identical" after comparing nothing.
  // The epoch it starts in is that of its first readout or command (session.json's epoch_at_start is the epoch of
  // the first Info the recorder saw, published once a second: it can be after a Reset the recording holds).
  std::uint32_t first_epoch = rows_.empty() ? 0 : rows_.begin()->first.first;
  for (const recorded_command& c : commands) first_epoch = std::min(first_epoch, c.epoch);
  if (first_epoch > 0)
    throw not_replayable("the recording starts in epoch " + std::to_string(first_epoch) +
                         ", after a Reset it does not hold; what the server kept across that Reset depends on the "
                         "session before it. Start the recorder before the session's first Reset");

  // session.json counts what commands.jsonl holds: an emptied file, or one that lost its last lines, replayed
  // without those commands and compared as a difference (exit 1).
  if (const auto it = session.find("commands"); it != session.end() && it->is_number_integer() &&
                                                it->get<std::int64_t>() != static_cast<std::int64_t>(commands.size()))
    throw not_replayable("commands.jsonl holds " + std::to_string(commands.size()) + " command(s), session.json " +
                         "says the recorder wrote " + it->dump());
  if (const auto it = session.find("first_command_index");
      it != session.end() && it->is_number_integer() && !commands.empty() &&
      it->get<std::int64_t>() != commands.front().index)
    throw not_replayable("commands.jsonl starts at command index " + std::to_string(commands.front().index) +
                         ", session.json's first_command_index is " + it->dump());

  // After the checks of ticks.npy and commands.jsonl above: a recording cut to a later epoch (theirs) is named as
  // such first.
  // Each row's epoch is one the recorded commands lead to: 0 or that of an accepted Reset. A row moved to epoch 1 of a
  // session without a Reset was "1 recorded readout(s) were never produced by the replay", exit 1 (an outside audit,
  // 2026-12-07).
  std::set<std::uint32_t> epochs{0};
  for (const recorded_command& c : commands)
    if (c.reset && c.accepted) epochs.insert(c.epoch_applied);
  for (const auto& [key, row] : rows_)
    if (!epochs.contains(key.first))
      throw not_replayable("ticks.npy row " + std::to_string(row) + " (epoch " + std::to_string(key.first) + ", tick " +
                           std::to_string(key.second) + "): no accepted Reset of commands.jsonl leads to epoch " +
                           std::to_string(key.first) + " (it holds " + std::to_string(epochs.size() - 1) +
                           " accepted Reset(s)): a damaged ticks.npy");
  // One row a readout the recorder wrote: rows removed from every array (ticks.npy and readout_hash.npy with them)
  // replayed as bit-identical (an outside audit, 2026-12-07).
  if (const std::int64_t readouts = session["readouts"].get<std::int64_t>(); readouts != static_cast<std::int64_t>(n))
    throw not_replayable("ticks.npy holds " + std::to_string(n) + " rows, session.json says the recorder wrote " +
                         std::to_string(readouts) + " readouts");
  open_stored_arrays(n, summary["arrays"]);
  try {
    irregular_ = irregular_rows(summary, static_cast<std::int64_t>(n));
  } catch (const std::runtime_error& e) {
    throw not_replayable(e.what());
  }
  say("replay: each readout compared with readout_hash.npy and its row of %zu stored arrays\n", stored_.size());
  const std::string name = (dir_ / "session.toml").string();
  // Results are bit-identical for any thread count (docs/engine.md): a session recorded with more worker threads
  // than this process may use replays with as many as it may, rather than being refused by the config's check.
  std::vector<std::string> overrides;
  const std::int64_t recorded_threads =
      io::resolve_config(dir_ / "session.toml").root["simulation"]["threads"].value_or(std::int64_t{1});
  if (const auto cpus = static_cast<std::int64_t>(engine::usable_cpus()); recorded_threads > cpus) {
    overrides.push_back("simulation.threads=" + std::to_string(cpus));
    note("the session ran " + std::to_string(recorded_threads) + " worker threads; this process may use " +
         std::to_string(cpus) + " CPU(s), so the replay runs " + std::to_string(cpus) +
         " (results are the same for any thread count)");
  }
  io::server_options so;
  so.params = io::parse_config(config, name, overrides);
  node_alone_ = engine::aln_node_alone(so.params);
  io::attach_aln_table(so.params, true);
  so.device = io::parse_device_config(config, name, overrides, so.params);
  so.config_toml = config;
  so.mode = io::run_mode::stepped;
  so.pub_endpoint = "tcp://127.0.0.1:*";
  so.command_endpoint = "tcp://127.0.0.1:*";
  so.pub_hwm = 100000;
  server_ = std::make_unique<io::server>(so);
  server_->start();
  client_ = std::make_unique<io::client>(server_->command_endpoint(), server_->pub_endpoint(),
                                         std::vector<std::string>{"readout", "ack"});
  if (!client_->sync_subscription(timeout(), io::command_kind::get_info))
    throw std::runtime_error("could not subscribe to the replay server");

  for (const recorded_command& c : commands) {
    // Commands in index order meet the engine at ascending (epoch, tick): one before the replay's place, or in
    // another epoch than the Resets before it lead to, is a damaged commands.jsonl (it stopped the replay as a
    // difference, exit 1, and compared nothing after it).
    if (c.epoch != epoch_ || c.tick < tick_)
      throw not_replayable("command #" + std::to_string(c.index) + " (" + c.kind + ") is at epoch " +
                           std::to_string(c.epoch) + " tick " + std::to_string(c.tick) + " in commands.jsonl, but the " +
                           "commands before it lead to epoch " + std::to_string(epoch_) + " tick " +
                           std::to_string(tick_) + ": a damaged commands.jsonl");
    step_to(c.tick);
    apply(c);
  }
  // The rest of the last epoch's readouts.
  std::int64_t last = -1;
  for (const auto& [key, row] : rows_)
    if (key.first == epoch_) last = std::max(last, key.second);
  if (last >= tick_) step_to(last + 1);
  server_->request_stop();
  server_->wait();

  const std::int64_t missing = static_cast<std::int64_t>(std::count(seen_.begin(), seen_.end(), false));
  if (missing > 0) {
    for (std::size_t i = 0; i < n; ++i)
      if (!seen_[i]) {
        difference(std::to_string(missing) + " recorded readout(s) were never produced by the replay, the first: epoch " +
                   std::to_string(static_cast<std::int64_t>(ticks.at<double>(3 * i))) + ", tick " +
                   std::to_string(static_cast<std::int64_t>(ticks.at<double>(3 * i + 1))));
        break;
      }
  }
  // A stored array no replayed readout had a row of (device arrays of a session whose replay has no device).
  for (const auto& [name, a] : stored_)
    if (!a.compared && compared_ > 0) difference(name + ": stored, but no replayed readout has a row of it");
  if (irregular_seen_ > 0)
    difference(std::to_string(irregular_seen_) + " readout(s) were recorded incomplete and not compared (summary.json " +
               "irregular_readouts: the stream lacked some of their values, stored as NaN), the first: " +
               "epoch " + std::to_string(first_irregular_->first) + ", tick " + std::to_string(first_irregular_->second) +
               ": such a recording cannot be bit-identical to its replay");
  if (differing_ticks_ > 0)
    std::fprintf(stderr, "replay: %lld of %lld compared ticks differ\n", static_cast<long long>(differing_ticks_),
                 static_cast<long long>(compared_));
  if (differences_ == 0) {
    std::printf("bit-identical: %lld ticks, %zu commands, %u epoch(s)\n", static_cast<long long>(compared_),
                commands.size(), epoch_ + 1);
    return kIdentical;
  }
  std::printf("not bit-identical: %lld difference(s); %lld of %lld ticks differ\n", static_cast<long long>(differences_),
              static_cast<long long>(differing_ticks_), static_cast<long long>(compared_));
  return kDifferent;
}

}  // namespace

void add_replay_command(CLI::App& app) {
  auto o = std::make_shared<replay_options>();
  CLI::App* cmd = app.add_subcommand(
      "replay", "Re-run a recording of `cortexloop record` in stepped mode, in this process: the server built from "
                "its session.toml, every command of commands.jsonl applied at its recorded tick; compares every readout "
                "with readout_hash.npy and with its row of each per-readout array stored (rates.npy, vsdi.npy, "
                "ticks.npy, the device's, ...: the float32 values record writes) bit for bit. Prints \"bit-identical: N ticks\" (exit 0) or the first differing "
                "tick and field (exit 1); exit 3 when the recording cannot be replayed; 2 when the command line is wrong (no such folder). docs/protocol.md");
  cmd->add_option("recording", o->dir, "Folder written by `cortexloop record`")->required()->check(CLI::ExistingDirectory);
  // Its own codes: the shared footer's "1: the command failed" contradicted them (an outside check, 2026-12-05).
  cmd->footer("Exit codes: 0 bit-identical; 1 a difference (only ever the result of the comparison: the first "
              "differing tick and field are printed); 2 the command line is wrong (no such folder); 3 the recording "
              "cannot be replayed, named: session.toml, session.json, summary.json, commands.jsonl, ticks.npy or "
              "readout_hash.npy missing or damaged (or not a regular file, or a command over 40 KiB); an array summary.json's \"arrays\" lists missing, or a .npy of "
              "record's there it does not list; a stored array of another dtype, row shape or row count than record "
              "writes; ticks.npy rows other in number than session.json's readouts, out of order, skipping more "
              "ticks than session.json's missing_ticks and summary.json's decimated_ticks add up to, or in an epoch "
              "no accepted Reset of commands.jsonl leads to; a damaged commands.jsonl; a recording that starts "
              "after a Reset; a replay server that stops answering; 130 / 143 stopped by Ctrl-C / SIGTERM.");
  cmd->add_option("--timeout", o->timeout_s, "Give up when the replay server does not answer for this many seconds")
      ->check(positive_number)
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", o->quiet, "No progress lines (differences and the result are still printed)");
  cmd->callback([o] {
    // Ctrl-C or SIGTERM: a line and 130 / 143, as the other commands (it died by the signal without a word: an
    // outside audit, 2026-12-07). Replay writes nothing, so nothing is left half-written. Blocked before the replay
    // server's threads start.
    const sigset_t stop_signals = block_stop_signals();
    const stop_signal_watch watch(stop_signals, "replay", "before the comparison ended: nothing was compared to the "
                                                          "end (the recording is unchanged)");
    int rc = kNotReplayable;
    try {
      rc = replayer(*o).run();
    } catch (const not_replayable& e) {
      std::fprintf(stderr, "replay: cannot replay: %s\n", e.what());
      rc = kNotReplayable;
    } catch (const std::exception& e) {
      // Whatever else stops it (a session.json of the wrong types, a damaged .npy, a replay server that stops
      // answering) is not a comparison's result: exit 1 would say "not bit-identical" of ticks never compared.
      std::fprintf(stderr, "replay: cannot replay %s: %s\n", o->dir.c_str(), e.what());
      rc = kNotReplayable;
    }
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
