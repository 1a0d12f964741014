#pragma once
// A replaced global allocator that counts every heap allocation: operator new (all its forms) and the C
// functions (malloc, calloc, realloc, aligned_alloc, posix_memalign, memalign, valloc, pvalloc), forwarded to
// glibc. Under ASan/TSan only operator new is counted (their runtimes own malloc); see alloc_counter.cpp.
// Link alloc_counter.cpp into a test executable to use it.
#include <atomic>
#include <cstdint>

namespace cortexloop::testing {
std::uint64_t allocation_count() noexcept;  // allocations since start, all threads
// Per-thread counting, for a test that cares about one thread (the real-time one) among others: while
// count_this_thread(true) is in force on a thread, its allocations also add to marked_thread_allocations().
void count_this_thread(bool on) noexcept;
std::uint64_t marked_thread_allocations() noexcept;
// Frees (of non-null pointers) on threads marked by count_this_thread (not on threads counted by name, whose exit
// frees its thread-local storage).
std::uint64_t marked_thread_frees() noexcept;
// Also counts, into marked_thread_allocations(), every thread whose name (pthread_setname_np) starts with prefix
// (at most 15 characters; "" stops it): the engine's helper workers ("cl-worker-N"), which a test cannot mark from
// inside. Set it before those threads start.
void count_threads_named(const char* prefix) noexcept;
// Counts the allocations made while it is alive on this process.
class allocation_scope {
 public:
  allocation_scope() noexcept : start_(allocation_count()) {}
  std::uint64_t allocations() const noexcept { return allocation_count() - start_; }

 private:
  std::uint64_t start_;
};
}  // namespace cortexloop::testing
