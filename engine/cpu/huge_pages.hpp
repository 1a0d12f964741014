#pragma once
// An allocator for the large tables built once at start-up (synapse rows): a block of 2 MiB or more is aligned to
// 2 MiB and marked MADV_HUGEPAGE, so that Linux backs it with transparent huge pages where the system allows them
// (/sys/kernel/mm/transparent_hugepage/enabled = madvise, as on the project's machines, applies them only to such
// blocks). Why: the fraction network's byte rows are ~20 MB at 20k cells and a step reads ~25 of them at random; at
// 4 KiB pages each row start is a TLB miss and a page walk (more pages than the TLB holds), and building the tables
// page-faults once per 4 KiB (a large part of the start-up's system time). Elsewhere (no madvise, THP off) it is a
// plain aligned allocation. Contents and layout are unchanged: only the pages' size.
#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace cortexloop::engine {

template <class T>
struct huge_page_allocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  huge_page_allocator() noexcept = default;
  template <class U>
  huge_page_allocator(const huge_page_allocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return static_cast<T*>(::operator new(bytes, std::align_val_t{alignof(T)}));
    const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;  // aligned_alloc wants a multiple
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    (void)::madvise(p, rounded, MADV_HUGEPAGE);  // advice only: on failure the block simply keeps 4 KiB pages
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < kHugePage)
      ::operator delete(p, std::align_val_t{alignof(T)});
    else
      std::free(p);
  }
  template <class U>
  bool operator==(const huge_page_allocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace cortexloop::engine
