// Compiler hints the kernels rely on, spelled for GCC/Clang and MSVC.
#pragma once

// The register tile only stays in registers when its loops over rows and vectors are fully
// unrolled; say so rather than rely on the compiler's size heuristics.
// For the same reason the code that stores a tile must be inlined into the loop that fills it:
// called out of line, the accumulators would go through memory. Conversely a hot loop that must
// keep its pointers in registers is kept out of line (CONVKIT_NOINLINE) from code around it.
#if defined(__clang__) || defined(__GNUC__)
#define CONVKIT_UNROLL _Pragma("GCC unroll 32")
#define CONVKIT_UNROLL_DEPTH _Pragma("GCC unroll 4")
#define CONVKIT_PREFETCH_FOR_WRITE(address) __builtin_prefetch((address), 1)
#define CONVKIT_ALWAYS_INLINE inline __attribute__((always_inline))
#define CONVKIT_NOINLINE __attribute__((noinline))
#else
#define CONVKIT_UNROLL
#define CONVKIT_UNROLL_DEPTH
#define CONVKIT_PREFETCH_FOR_WRITE(address)
#define CONVKIT_ALWAYS_INLINE __forceinline
#define CONVKIT_NOINLINE __declspec(noinline)
#endif
