#pragma once
// Asks Linux to back a large, not yet touched allocation with transparent huge pages (2 MB) where it can. Why: the
// deliver phase reads one random synapse row per spike from a table of ~100 MB (100k cells), so with 4 kB pages
// nearly every row is a TLB miss and a page walk; 2 MB pages cut the pages of the table 512-fold. This machine's
// kernel runs THP in "madvise" mode (/sys/kernel/mm/transparent_hugepage/enabled), where only advised ranges get
// huge pages. Start-up only (a syscall): never call it from the step. A refusal (another kernel, THP off, an old
// kernel) is harmless: the range keeps ordinary pages, and nothing else changes.
#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace cortexloop::engine {

inline void advise_huge_pages(const void* data, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
  // Only the whole 2 MB pages inside the range: madvise needs page-aligned starts, and the range's partial pages
  // at either end may be shared with other allocations.
  const auto first = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t begin = (first + kHugePage - 1) & ~(kHugePage - 1);
  const std::uintptr_t end = (first + bytes) & ~(kHugePage - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace cortexloop::engine
