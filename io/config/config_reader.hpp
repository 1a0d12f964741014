#pragma once
// Strict reading of one TOML table: every key is typed, range-checked and marked as seen, and finish()
// refuses keys nobody read. Errors are config_error naming where the value came from (file:line or the
// --set override), the dotted key, the value and what is allowed.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace cortexloop::io {

// The name of `names` nearest to `key` if it is a slip away (at most a third of its letters, at least 1: tau_w_msec
// -> tau_w_ms), else "": the "did you mean" of an unknown key.
std::string nearest_name(std::string_view key, const std::set<std::string, std::less<>>& names);

class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where values came from: the file name, and which dotted keys were overridden on the command line.
struct config_origin {
  std::string file;
  // Dotted key -> the option as the user typed it ("--threads 3", labelled_override); empty for a --set, whose
  // errors name "--set key".
  std::map<std::string, std::string, std::less<>> overridden;
  // Dotted keys of `overridden` whose override gave a whole table or array of tables (`--set 'network.exc={}'`,
  // `--set 'stimulus=[{...}]'`): what is under them came from the override, not from the file. Mapped to whether
  // the config had a table there, which the override replaced.
  std::map<std::string, bool, std::less<>> replaced;
  // The key of `replaced` that `dotted` lies in ("network.exc" for network.exc.c_pF, "stimulus" for stimulus[0]),
  // or nullptr.
  const std::string* replaced_around(std::string_view dotted) const;
};

struct range {
  double lo, hi;
  bool lo_open = false;  // (lo, hi] instead of [lo, hi]
  bool hi_open = false;  // [lo, hi) instead of [lo, hi]
  bool contains(double x) const { return (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi); }
  std::string describe() const;
};
inline range positive(double hi) { return {0.0, hi, true}; }

class table_reader {
 public:
  table_reader(const toml::table& table, std::string path, std::shared_ptr<const config_origin> origin);

  double number(std::string_view key, range allowed);  // integers are accepted as numbers
  std::int64_t integer(std::string_view key, std::int64_t lo, std::int64_t hi);
  // A non-empty array of numbers, each in `allowed` (an error names the element: key[3]).
  std::vector<double> numbers(std::string_view key, range allowed);
  std::string choice(std::string_view key, std::initializer_list<std::string_view> allowed);
  std::string text(std::string_view key);  // any string
  table_reader table(std::string_view key);
  const toml::array& array_of_tables(std::string_view key);
  // Also marks `key` as one this table knows (for finish()'s list): an optional key is only ever asked for.
  bool has(std::string_view key) const {
    known_.emplace(key);
    return table_.contains(key);
  }
  // Refuses every key that was not read.
  void finish() const;

  std::string dotted(std::string_view key) const;
  // A config_error about `key` (its location and value included), for checks that span several keys.
  // Overrides of other keys that the problem names (whole words) are named too: they may be what made it.
  [[noreturn]] void fail(std::string_view key, std::string_view problem) const { fail(key, problem, problem); }
  std::shared_ptr<const config_origin> origin() const { return origin_; }

 private:
  const toml::node& require(std::string_view key);
  std::string where(std::string_view key) const;
  // The override that gave `whole` (a key of config_origin::replaced), as messages name it.
  std::string replaced_where(const std::string& whole) const;
  // fail, naming the overrides `mentions` names (an unknown key's list of known keys mentions none: an override of
  // one of them did not make the key unknown).
  [[noreturn]] void fail(std::string_view key, std::string_view problem, std::string_view mentions) const;
  std::string overrides_named_in(std::string_view key, std::string_view mentions) const;

  const toml::table& table_;
  std::string path_;
  std::shared_ptr<const config_origin> origin_;
  std::set<std::string, std::less<>> seen_;
  mutable std::set<std::string, std::less<>> known_;  // asked for with has(), present or not
};

}  // namespace cortexloop::io
