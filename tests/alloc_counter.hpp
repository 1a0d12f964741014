#pragma once
// A replaced global allocator that counts every heap allocation made through operator new (all its forms;
// direct malloc calls are not seen, and C++ code in the engine allocates through operator new).
// Link alloc_counter.cpp into a test executable to use it.
#include <atomic>
#include <cstdint>

namespace cortexloop::testing {
std::uint64_t allocation_count() noexcept;  // operator new calls since start, all threads
// Per-thread counting, for a test that cares about one thread (the real-time one) among others: while
// count_this_thread(true) is in force on a thread, its allocations also add to marked_thread_allocations().
void count_this_thread(bool on) noexcept;
std::uint64_t marked_thread_allocations() noexcept;
// Counts the allocations made while it is alive on this process.
class allocation_scope {
 public:
  allocation_scope() noexcept : start_(allocation_count()) {}
  std::uint64_t allocations() const noexcept { return allocation_count() - start_; }

 private:
  std::uint64_t start_;
};
}  // namespace cortexloop::testing
