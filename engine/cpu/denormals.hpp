#pragma once
// Flush-to-zero and denormals-are-zero for the calling thread. Conductances decay exponentially towards 0
// and, without input, reach the subnormal range (< 1e-38) after ~90 time constants; arithmetic on
// subnormals costs tens of times more on x86, a latency hazard on the real-time path. Values this small
// are zero for every model here, so threads that step the engine call this once at start.
#if defined(__SSE__)
#include <xmmintrin.h>
#include <pmmintrin.h>
#endif

namespace cortexloop::engine {

inline void flush_denormals_to_zero() noexcept {
#if defined(__SSE__)
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
#endif
}

}  // namespace cortexloop::engine
