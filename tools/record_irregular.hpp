#pragma once
// `record`'s account of the readouts that did not fit the session it records: a readout without the device table the
// others carry, a ring vector of another length than the ring's, a readout sent twice. The recorder writes what it
// received (issue 9): such a readout's row is kept, its missing values NaN, or, sent twice, the copy is dropped; each
// is counted and named (summary.json "irregular_readouts", stderr at the end, exit 4) instead of the device arrays
// vanishing or the ring arrays falling a row behind ticks.npy without a word (an outside audit, 2026-12-07).
// `replay` reads the rows back (irregular_rows) and does not compare them: their values are not the server's.
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace cortexloop::tools {

class irregular_readouts {
 public:
  // Rows listed in summary.json: enough to find them; a recording where every readout is irregular (a stream of
  // another kind) would otherwise write a summary as large as the recording. The counts are always whole.
  static constexpr std::size_t kMaxListed = 1000;

  // Row `row` of the arrays (that of ticks.npy) holds NaN where the readout did not carry what `why` says.
  void incomplete(std::int64_t row, std::uint32_t epoch, std::int64_t tick, std::string why) {
    // One entry a row: a readout short of its device and its ring has both reasons.
    if (row == last_row_) {
      if (!rows_.empty() && rows_.back().at("row") == row)
        rows_.back()["why"] = rows_.back()["why"].get<std::string>() + "; " + why;
      return;
    }
    last_row_ = row;
    ++incomplete_rows;
    if (rows_.size() < kMaxListed) rows_.push_back({{"row", row}, {"epoch", epoch}, {"tick", tick}, {"why", why}});
  }
  // A readout of the epoch and tick of the one before it: not recorded again.
  void repeated(std::uint32_t epoch, std::int64_t tick) {
    ++repeated_readouts;
    if (repeated_.size() < kMaxListed) repeated_.push_back({{"epoch", epoch}, {"tick", tick}});
  }
  bool any() const { return incomplete_rows > 0 || repeated_readouts > 0; }

  nlohmann::json to_json() const {
    return {{"incomplete_rows", incomplete_rows},
            {"rows", rows_},
            {"repeated_readouts", repeated_readouts},
            {"repeated", repeated_},
            {"note", "rows whose missing values are NaN (and whose readout_hash is of the readout as received); "
                     "readouts sent twice are recorded once; at most " + std::to_string(kMaxListed) + " listed"}};
  }
  // The first entries, for stderr: "row 499 (epoch 0, tick 499): no device table".
  std::string first_named(std::size_t max = 3) const {
    std::string text;
    for (std::size_t i = 0; i < rows_.size() && i < max; ++i)
      text += (text.empty() ? "" : ", ") + std::string("row ") + rows_[i].at("row").dump() + " (epoch " +
              rows_[i].at("epoch").dump() + ", tick " + rows_[i].at("tick").dump() + "): " +
              rows_[i].at("why").get<std::string>();
    return text;
  }
  std::string repeated_named(std::size_t max = 3) const {
    std::string text;
    for (std::size_t i = 0; i < repeated_.size() && i < max; ++i)
      text += (text.empty() ? "" : ", ") + std::string("epoch ") + repeated_[i].at("epoch").dump() + " tick " +
              repeated_[i].at("tick").dump();
    return text;
  }

  std::int64_t incomplete_rows = 0, repeated_readouts = 0;

 private:
  std::vector<nlohmann::json> rows_, repeated_;
  std::int64_t last_row_ = -1;
};

// Readouts without a part (the device table, the ring's vectors) before the first readout that had it: NaN rows that
// are irregular only once that part shows up (a server without a device never sends one).
class absent_before {
 public:
  void note(std::uint32_t epoch, std::int64_t tick) {
    if (listed_.size() < irregular_readouts::kMaxListed) listed_.emplace_back(epoch, tick);
    ++count_;
  }
  // The part came: rows 0 .. count - 1 were short of it.
  void now_present(irregular_readouts& irregular, const std::string& why) {
    for (std::int64_t row = 0; row < count_; ++row) {
      const auto& [epoch, tick] = row < static_cast<std::int64_t>(listed_.size()) ? listed_[static_cast<std::size_t>(row)]
                                                                                 : std::pair<std::uint32_t, std::int64_t>{0, -1};
      irregular.incomplete(row, epoch, tick, why);
    }
    listed_.clear();
    count_ = 0;
  }

 private:
  std::vector<std::pair<std::uint32_t, std::int64_t>> listed_;
  std::int64_t count_ = 0;
};

// The rows summary.json's "irregular_readouts" lists (none when absent: a recording before it), each checked to be a
// row of the recording (n rows); throws std::runtime_error naming what is wrong.
inline std::set<std::int64_t> irregular_rows(const nlohmann::json& summary, std::int64_t n) {
  std::set<std::int64_t> out;
  if (!summary.is_object() || !summary.contains("irregular_readouts")) return out;
  const nlohmann::json& ir = summary.at("irregular_readouts");
  if (!ir.is_object() || !ir.contains("rows") || !ir.at("rows").is_array())
    throw std::runtime_error("summary.json: \"irregular_readouts\" has no list \"rows\"");
  for (const nlohmann::json& r : ir.at("rows")) {
    if (!r.is_object() || !r.contains("row") || !r.at("row").is_number_integer() || r.at("row").get<std::int64_t>() < 0 ||
        r.at("row").get<std::int64_t>() >= n)
      throw std::runtime_error("summary.json: \"irregular_readouts\" lists " + r.dump() + ", not a row of the " +
                               std::to_string(n) + " in ticks.npy");
    out.insert(r.at("row").get<std::int64_t>());
  }
  return out;
}

}  // namespace cortexloop::tools
