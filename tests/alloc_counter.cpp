#include "alloc_counter.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include <pthread.h>

// The C allocation functions are counted too (malloc, calloc, realloc, aligned_alloc, posix_memalign,
// memalign, valloc, pvalloc): they are defined here and forward to glibc's own (__libc_*), so every
// allocation of the process goes through count() -- libzmq's, a C library's, std::string's -- whichever
// function it calls. operator new counts through malloc (once). Under ASan or TSan, whose runtimes own
// malloc, only operator new is counted (CORTEXLOOP_COUNT_MALLOC is 0 there).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CORTEXLOOP_COUNT_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define CORTEXLOOP_COUNT_MALLOC 0
#endif
#endif
#ifndef CORTEXLOOP_COUNT_MALLOC
#define CORTEXLOOP_COUNT_MALLOC 1
#endif
// clang's TSan (scripts/sanitize.sh tsan): see the operators at the end. (Nested #if: g++ cannot parse
// __has_feature(...) even behind a false defined(__has_feature).)
#define CORTEXLOOP_CLANG_TSAN 0
#if defined(__clang__) && defined(__has_feature)
#if __has_feature(thread_sanitizer)
#undef CORTEXLOOP_CLANG_TSAN
#define CORTEXLOOP_CLANG_TSAN 1
#endif
#endif

namespace {
std::atomic<std::uint64_t> g_allocations{0};
std::atomic<std::uint64_t> g_marked_allocations{0};
std::atomic<std::uint64_t> g_marked_frees{0};  // frees (not of null) on threads marked by count_this_thread
thread_local bool t_marked = false;
// count_threads_named's prefix (empty: off). Written before the threads it names start.
char g_name_prefix[16] = {};
std::atomic<bool> g_by_name{false};

// Whether the calling thread's name starts with g_name_prefix. pthread_getname_np on the calling thread is a
// prctl(PR_GET_NAME): no allocation inside the allocator.
bool named_thread() noexcept {
  char name[16] = {};
  if (pthread_getname_np(pthread_self(), name, sizeof name) != 0) return false;
  return std::strncmp(name, g_name_prefix, std::strlen(g_name_prefix)) == 0;
}

void count() noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (t_marked || (g_by_name.load(std::memory_order_relaxed) && named_thread()))
    g_marked_allocations.fetch_add(1, std::memory_order_relaxed);
}

// A free on a thread marked by count_this_thread: freeing takes glibc's arena lock and may give memory back to the
// system (munmap), as allocating does, so the real-time thread must not free either (an engine destroyed there would
// be seen by no allocation count).
[[maybe_unused]] void count_free(void* p) noexcept {
  if (p && t_marked) g_marked_frees.fetch_add(1, std::memory_order_relaxed);
}

[[maybe_unused]] void* counted_alloc(std::size_t size, std::size_t align) {
#if !CORTEXLOOP_COUNT_MALLOC
  count();
#endif
  if (size == 0) size = 1;
  void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (size + align - 1) / align * align)
                                              : std::malloc(size);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace

#if CORTEXLOOP_COUNT_MALLOC
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* __libc_valloc(std::size_t);
void* __libc_pvalloc(std::size_t);
void __libc_free(void*);

void free(void* p) {
  count_free(p);
  __libc_free(p);
}

void* malloc(std::size_t n) {
  count();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  count();
  return __libc_realloc(p, n);
}
void* memalign(std::size_t align, std::size_t n) {
  count();
  return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) {
  count();
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) {
  if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
  count();
  void* p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void* valloc(std::size_t n) {
  count();
  return __libc_valloc(n);
}
void* pvalloc(std::size_t n) {
  count();
  return __libc_pvalloc(n);
}
}
#endif

std::uint64_t cortexloop::testing::allocation_count() noexcept { return g_allocations.load(); }
void cortexloop::testing::count_this_thread(bool on) noexcept { t_marked = on; }
void cortexloop::testing::count_threads_named(const char* prefix) noexcept {
  std::snprintf(g_name_prefix, sizeof g_name_prefix, "%s", prefix);
  g_by_name.store(g_name_prefix[0] != 0);
}
std::uint64_t cortexloop::testing::marked_thread_allocations() noexcept { return g_marked_allocations.load(); }
std::uint64_t cortexloop::testing::marked_thread_frees() noexcept { return g_marked_frees.load(); }

// clang's TSan runtime defines every operator new and delete as strong symbols: a replacement cannot be linked
// beside it, so under clang's TSan nothing is counted, and scripts/sanitize.sh tsan runs the tests without their
// [alloc] cases (a count of 0 there would pass without checking anything).
#if !CORTEXLOOP_CLANG_TSAN

void* operator new(std::size_t n) { return counted_alloc(n, 0); }
void* operator new[](std::size_t n) { return counted_alloc(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n, 0);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n, 0);
  } catch (...) {
    return nullptr;
  }
}
namespace {
// Under ASan/TSan free is theirs: the frees of operator delete are counted here instead.
void counted_free(void* p) noexcept {
#if !CORTEXLOOP_COUNT_MALLOC
  count_free(p);
#endif
  std::free(p);
}
}  // namespace
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
#endif
