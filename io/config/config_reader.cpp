#include "io/config/config_reader.hpp"
#include "io/protocol/format_number.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

namespace cortexloop::io {

namespace {
// A value as the user wrote it: a float in its shortest round-trip text (toml++ prints 0.35 as
// 0.34999999999999998), still marked as a float ("1.0", not "1"), so the error quotes the config's own text.
std::string show(const toml::node& node) {
  std::ostringstream out;
  node.visit([&](const auto& v) {
    if constexpr (toml::is_string<decltype(v)>) {
      out << '"' << v.get() << '"';
    } else if constexpr (toml::is_floating_point<decltype(v)>) {
      const std::string text = format_number(v.get()).str();
      out << text << (text.find_first_not_of("-0123456789") == std::string::npos ? ".0" : "");
    } else {
      out << v;
    }
  });
  return out.str();
}
// The node's TOML type with its article: "a string", "an array", "an integer" ("not a array" before).
std::string a_type_name(const toml::node& node) {
  std::ostringstream out;
  out << node.type();
  const std::string name = out.str();
  const bool vowel = !name.empty() && std::string_view("aeiou").find(name[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + name;
}
// Edit distance between a and b counting a swap of two neighbouring letters as one edit (optimal string alignment:
// Levenshtein plus transpositions), by rows: "d_tms" is one slip from "dt_ms", not two.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> before(b.size() + 1), row(b.size() + 1), next(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    next[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      next[j] = std::min({row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) next[j] = std::min(next[j], before[j - 2] + 1);
    }
    std::swap(before, row);
    std::swap(row, next);
  }
  return row[b.size()];
}

// The names a slip away from `key` (at most a third of its letters, and at least 1 allowed: tau_w_msec -> tau_w_ms,
// ratee_Hz -> rate_Hz), nearest first (ties by name).
std::vector<std::string> names_near(std::string_view key, const std::set<std::string, std::less<>>& names) {
  const std::size_t most = std::max<std::size_t>(1, key.size() / 3);
  std::vector<std::pair<std::size_t, std::string>> near;
  for (const std::string& name : names)
    if (const std::size_t d = edit_distance(key, name); d <= most) near.emplace_back(d, name);
  std::sort(near.begin(), near.end());
  std::vector<std::string> out;
  for (auto& [d, name] : near) out.push_back(std::move(name));
  return out;
}

}  // namespace

std::string nearest_name(std::string_view key, const std::set<std::string, std::less<>>& names) {
  const std::vector<std::string> near = names_near(key, names);
  return near.empty() ? std::string() : near.front();
}

const std::string* config_origin::replaced_around(std::string_view dotted) const {
  for (std::string_view at = dotted; !at.empty();) {
    if (const auto it = replaced.find(at); it != replaced.end()) return &it->first;
    const auto cut = at.find_last_of(".[");
    at = cut == std::string_view::npos ? std::string_view() : at.substr(0, cut);
  }
  return nullptr;
}

std::string range::describe() const {
  std::ostringstream out;
  out << (lo_open ? "(" : "[") << lo << ", " << hi << (hi_open ? ")" : "]");
  return out.str();
}

table_reader::table_reader(const toml::table& table, std::string path, std::shared_ptr<const config_origin> origin)
    : table_(table), path_(std::move(path)), origin_(std::move(origin)) {}

std::string table_reader::dotted(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string table_reader::where(std::string_view key) const {
  const std::string name = dotted(key);
  if (const auto it = origin_->overridden.find(name); it != origin_->overridden.end())
    return it->second.empty() ? "--set " + name : it->second;
  // A value inside a table a --set gave whole: the override's, not the file's line 1 (toml++ places the override's
  // own text there; an outside audit, 2026-12-06).
  if (const std::string* whole = origin_->replaced_around(name)) return replaced_where(*whole);
  const toml::node* node = table_.get(key);
  const auto& src = node ? node->source() : table_.source();
  // With `base = ...` a value may come from another file than the one loaded; the node knows which.
  std::string at = src.path ? *src.path : origin_->file;
  if (src.begin.line > 0) {  // appended in place: ":" + std::string&& trips GCC 12's -Wrestrict (a false positive)
    at += ':';
    at += std::to_string(src.begin.line);
  }
  return at;
}

std::string table_reader::replaced_where(const std::string& whole) const {
  const auto it = origin_->overridden.find(whole);
  return it == origin_->overridden.end() || it->second.empty() ? "--set " + whole : it->second;
}

void table_reader::fail(std::string_view key, std::string_view problem, std::string_view mentions) const {
  // A value from an option other than --set: the option and its text as typed say it all ("--threads 3: ...").
  if (const auto it = origin_->overridden.find(dotted(key)); it != origin_->overridden.end() && !it->second.empty())
    throw config_error(it->second + ": " + std::string(problem));
  const toml::node* node = table_.get(key);
  // A whole table is named as TOML heads it, not printed (a [meanfield] refused as a whole ran to 32 lines).
  if (node && (node->is_table() || node->is_array_of_tables()))
    throw config_error(where(key) + ": [" + dotted(key) + "]: " + std::string(problem));
  std::string message = where(key) + ": " + dotted(key);
  if (node) message += " = " + show(*node);
  throw config_error(message + ": " + std::string(problem) + overrides_named_in(key, mentions));
}

// A value from the file refused for a key the command line changed (--set simulation.dt_ms=0.3 makes the file's
// tick_ms 1.0 no whole number of steps): the message blamed the file's line alone, which the user had not touched.
// Names each override the problem mentions, unless it is the refused key itself: in full as a word
// ("simulation.dt_ms"), or by its last part alone if it lies in the refused key's table ("dt_ms" in a refusal of
// simulation.tick_ms). A key of another table is mentioned in full, so that an override of ring.dt_ms is not named
// by a refusal that mentions simulation.dt_ms, nor one of rate_Hz by max_drive_rate_Hz.
std::string table_reader::overrides_named_in(std::string_view key, std::string_view mentions) const {
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  // A word not continued on either side (a '.' before it would make it the tail of a longer dotted name).
  auto mentioned = [&](std::string_view word) {
    for (std::size_t at = mentions.find(word); at != std::string_view::npos; at = mentions.find(word, at + 1)) {
      const std::size_t end = at + word.size();
      if ((at == 0 || (!word_char(mentions[at - 1]) && mentions[at - 1] != '.')) &&
          (end == mentions.size() || !word_char(mentions[end])))
        return true;
    }
    return false;
  };
  std::string named;
  for (const auto& [dotted_key, option] : origin_->overridden) {
    if (dotted_key == dotted(key)) continue;
    const std::size_t dot = dotted_key.rfind('.');
    const std::string_view table = dot == std::string::npos ? std::string_view() : std::string_view(dotted_key).substr(0, dot);
    const std::string_view last = std::string_view(dotted_key).substr(dot == std::string::npos ? 0 : dot + 1);
    if (!mentioned(dotted_key) && !(table == path_ && mentioned(last))) continue;
    named += (named.empty() ? " (" : ", ") + (option.empty() ? "--set " + dotted_key : option);
  }
  return named.empty() ? named : named + " on the command line)";
}

const toml::node& table_reader::require(std::string_view key) {
  seen_.emplace(key);
  const toml::node* node = table_.get(key);
  if (!node) {
    // In a table (or array of tables) a --set gave whole, the key is missing from the override, not from the file
    // (`--set 'network.exc={}'` read "configs/zerlaut2018_network.toml: missing required key network.exc.c_pF": an
    // outside audit, 2026-12-06).
    const std::string* whole = origin_->replaced_around(path_);
    std::string message = (whole ? replaced_where(*whole) : origin_->file) + ": missing required key " + dotted(key);
    // A missing key is often a misspelt one: name the table's keys not read so far that are a slip away from it.
    // As facts, not as "unknown" or "misspelt": which keys the table's reader asks for after this one is not known
    // yet, and a valid sibling (tau_inh_ms for a missing tau_exc_ms, p4_V for p3_V) was called an unknown key, or
    // named alone where the real slip was further (an outside check, 2026-12-05). Up to three, nearest first.
    std::set<std::string, std::less<>> unread;
    for (const auto& [other, value] : table_)
      if (!seen_.count(other.str()) && !known_.count(other.str())) unread.insert(std::string(other.str()));
    const std::vector<std::string> near = names_near(key, unread);
    for (std::size_t i = 0; i < near.size() && i < 3; ++i)
      message += (i == 0 ? "; similar keys in this table: " : ", ") + dotted(near[i]) + " at " + where(near[i]);
    // A table that holds only what overrides put there was made by them: the file has no such section (`--set
    // meanfield.exc.max_mu_v_mV=-40` on a config without [meanfield] read "missing required key meanfield.order",
    // blaming the file for a key the user never meant to give; an outside check, 2026-12-06).
    // Whether an override made this section or one above it (the loader records the sections it creates): not
    // whether overrides set every key the table holds, which a file's [simulation] of duration_s alone and
    // --duration also give (an outside check, 2026-12-06: "the config has no [simulation] section" for a file
    // that has one).
    bool made_by_override = false;
    for (std::string_view section = path_; !section.empty() && !made_by_override;) {
      made_by_override = origin_->overridden.count(section) != 0;
      const auto dot = section.rfind('.');
      section = dot == std::string_view::npos ? std::string_view() : section.substr(0, dot);
    }
    std::string made_by;
    for (const auto& [entry, value] : table_) {
      const std::string prefix = path_ + "." + std::string(entry.str());
      // The overrides at or under this entry (their tables' paths are recorded too): the deepest names the option.
      auto leaf = origin_->overridden.end();
      for (auto o = origin_->overridden.lower_bound(prefix);
           o != origin_->overridden.end() && (o->first == prefix || o->first.starts_with(prefix + ".")); ++o)
        leaf = o;
      if (leaf != origin_->overridden.end() && made_by.empty())
        made_by = leaf->second.empty() ? "--set " + leaf->first : leaf->second;
    }
    if (whole) {
      const bool direct = path_ == *whole, had_table = origin_->replaced.at(*whole);
      message += "; the override gives " + *whole + " whole" + (had_table ? " in place of the config's table" : "") +
                 ", and its value has no " + std::string(key);
      // A key of the config's table is changed alone by an override of that key, which keeps the table's others.
      if (direct && had_table) message += " (to change one key of the table: --set " + dotted(key) + "=VALUE)";
      throw config_error(message);
    }
    if (made_by_override && !made_by.empty())
      message += "; the config has no [" + path_ + "] section: " + made_by +
                 " on the command line made one (an override changes a key of the config's sections, it does not "
                 "add a section)";
    throw config_error(message);
  }
  return *node;
}

double table_reader::number(std::string_view key, range allowed) {
  const toml::node& node = require(key);
  std::optional<double> value = node.value<double>();  // also converts integers
  if (!node.is_number() || !value) fail(key, "must be a number, not " + a_type_name(node));
  if (!allowed.contains(*value)) fail(key, "out of range; allowed " + allowed.describe());
  return *value;
}

std::int64_t table_reader::integer(std::string_view key, std::int64_t lo, std::int64_t hi) {
  const toml::node& node = require(key);
  if (!node.is_integer()) fail(key, "must be an integer, not " + a_type_name(node));
  const std::int64_t value = *node.value<std::int64_t>();
  if (value < lo || value > hi)
    fail(key, "out of range; allowed [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return value;
}

std::vector<double> table_reader::numbers(std::string_view key, range allowed) {
  const toml::node& node = require(key);
  const toml::array* array = node.as_array();
  if (!array) fail(key, "must be an array of numbers, not " + a_type_name(node));
  if (array->empty()) fail(key, "must hold at least one number");
  std::vector<double> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const std::optional<double> value = element.value<double>();
    const std::string at = "element " + std::to_string(i) + " (" + show(element) + ")";
    if (!element.is_number() || !value) fail(key, at + " must be a number, not " + a_type_name(element));
    if (!allowed.contains(*value)) fail(key, at + " out of range; allowed " + allowed.describe());
    out.push_back(*value);
  }
  return out;
}

std::string table_reader::choice(std::string_view key, std::initializer_list<std::string_view> allowed) {
  const toml::node& node = require(key);
  std::string list;
  for (std::string_view a : allowed) list += (list.empty() ? "\"" : ", \"") + std::string(a) + "\"";
  if (!node.is_string()) fail(key, "must be a string, one of " + list);
  const std::string value = *node.value<std::string>();
  for (std::string_view a : allowed)
    if (value == a) return value;
  fail(key, "must be one of " + list);
}

std::string table_reader::text(std::string_view key) {
  const toml::node& node = require(key);
  if (!node.is_string()) fail(key, "must be a string, not " + a_type_name(node));
  return *node.value<std::string>();
}

table_reader table_reader::table(std::string_view key) {
  const toml::node& node = require(key);
  if (!node.is_table()) fail(key, "must be a table ([" + dotted(key) + "])");
  return table_reader(*node.as_table(), dotted(key), origin_);
}

const toml::array& table_reader::array_of_tables(std::string_view key) {
  const toml::node& node = require(key);
  if (!node.is_array_of_tables()) fail(key, "must be an array of tables ([[" + dotted(key) + "]])");
  return *node.as_array();
}

void table_reader::finish() const {
  for (const auto& [key, node] : table_) {
    if (seen_.count(key.str())) continue;
    std::set<std::string, std::less<>> names(known_);
    names.insert(seen_.begin(), seen_.end());
    std::string known;
    for (const auto& k : names) known += (known.empty() ? "" : ", ") + k;
    // "(misspelt?)" only when a known key is a slip away: a key of another model (a fraction network's in an AdEx
    // network) was called misspelt, and the right spelling had to be found in the list.
    const std::string nearest = nearest_name(key.str(), names);
    const std::string problem = "unknown key" + (nearest.empty() ? std::string() : " (did you mean " + nearest + "?)") +
                                "; known keys here: " + known;
    // A table or an array is named, not printed: a misspelt [section] dumped every line of it into the error.
    if (node.is_table() || node.is_array())
      throw config_error(where(key.str()) + ": " + dotted(key.str()) + " (" +
                         (node.is_table() ? "a table" : "an array of " + std::to_string(node.as_array()->size())) +
                         "): " + problem);
    fail(key.str(), problem, "");
  }
}

}  // namespace cortexloop::io
