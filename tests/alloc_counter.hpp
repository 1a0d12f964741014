#pragma once
// A replaced global allocator that counts every heap allocation (operator new in all its forms and
// malloc-family calls are not all covered: C++ code in the engine allocates through operator new).
// Link alloc_counter.cpp into a test executable to use it.
#include <atomic>
#include <cstdint>

namespace cortexloop::testing {
std::uint64_t allocation_count() noexcept;  // operator new calls since start, all threads
// Counts the allocations made while it is alive on this process.
class allocation_scope {
 public:
  allocation_scope() noexcept : start_(allocation_count()) {}
  std::uint64_t allocations() const noexcept { return allocation_count() - start_; }

 private:
  std::uint64_t start_;
};
}  // namespace cortexloop::testing
