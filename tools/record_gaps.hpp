#pragma once
// `record`'s count of the ticks a stream lost: a step between two readouts of one epoch larger than the stream's
// decimation (stream.readout_every) is a gap. The decimation is learnt from the server (each Status, an applied
// SetParameter at once); until the first is learnt, steps wait to be judged.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>

namespace cortexloop::tools {

class readout_gaps {
 public:
  std::int64_t gaps = 0, missing_ticks = 0, decimated_ticks = 0;

  // A readout: `step` ticks after the previous one of its epoch (0 for the first of an epoch).
  void readout_after(std::int64_t step) {
    if (step >= 1 && !readout_every_) {
      // Decimated or lost: unknown before the stride is learnt. A recording started on a decimated stream counted
      // its first second (before the first Status) as gaps (an outside audit, 2026-12-06). At most a second of
      // steps, kept by size (steps of 1 too: they count in the most frequent step, see most_frequent_step).
      ++waiting_[step];
    } else if (step > 1) {
      judge(step, std::max(*readout_every_, changed_stride_), 1);
    }
    changed_stride_ = 0;  // a change of stride is allowed for in the step after it only
  }

  // stream.readout_every as the server says it (a Status), or as an applied SetParameter sets it (`changed` true).
  void set_readout_every(std::int64_t n, bool changed) {
    n = std::max<std::int64_t>(1, n);
    if (!readout_every_) {
      // A Status gives the stride the waiting steps were taken at. A SetParameter's value is the new stride, not
      // theirs: their own most frequent step stands for it (a stream that lost nothing steps by its stride).
      const std::int64_t theirs = changed ? most_frequent_step() : n;
      judge_waiting(theirs);
      if (changed && theirs != n) changed_stride_ = std::max(theirs, n);
      readout_every_ = n;
      return;
    }
    if (n == *readout_every_) return;
    // The first step after a change may span the old stride (the server counts readouts, not ticks, and a readout
    // due under 50 comes after at most 50 ticks): that step is allowed the larger of the two (50 -> 3 read as 38
    // missing ticks: an outside check, 2026-12-04).
    changed_stride_ = std::max({changed_stride_, *readout_every_, n});
    readout_every_ = n;
  }
  // The stride the next readout is expected after (1 until learnt).
  std::int64_t readout_every() const { return readout_every_.value_or(1); }
  // Steps still waiting for the stride when the recording ends without learning it (under a second): judged at their
  // most frequent step, as an applied SetParameter's are.
  void finish() { judge_waiting(most_frequent_step()); }

 private:
  // The most frequent of the waiting steps (the smaller of two as frequent; 1 when none waits): a stream that lost
  // nothing steps by its stride, one that lost some mostly still does.
  std::int64_t most_frequent_step() const {
    if (waiting_.empty()) return 1;
    return std::max_element(waiting_.begin(), waiting_.end(),
                            [](const auto& a, const auto& b) { return a.second < b.second; })->first;
  }
  void judge_waiting(std::int64_t stride) {
    for (const auto& [s, count] : waiting_) judge(s, stride, count);
    waiting_.clear();
  }
  void judge(std::int64_t step, std::int64_t stride, std::int64_t count) {
    decimated_ticks += count * (std::min(step, stride) - 1);
    if (step > stride) {
      gaps += count;
      missing_ticks += count * (step - stride);
    }
  }
  std::optional<std::int64_t> readout_every_;
  std::int64_t changed_stride_ = 0;
  std::map<std::int64_t, std::int64_t> waiting_;  // step -> how many, before the stride is learnt
};

}  // namespace cortexloop::tools
