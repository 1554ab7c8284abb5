// Compiler hints the kernels rely on, spelled for GCC/Clang and MSVC.
#pragma once

// The register tile only stays in registers when its loops over rows and vectors are fully
// unrolled; say so rather than rely on the compiler's size heuristics.
// For the same reason the code that stores a tile must be inlined into the loop that fills it:
// called out of line, the accumulators would go through memory. Conversely a hot loop that must
// keep its pointers in registers is kept out of line (CONVKIT_NOINLINE) from code around it.
// CONVKIT_OPAQUE(x) hides x's value from the optimizer at that point, so that a loop over register
// tiles recomputes a tile's row offsets (r * stride) from x in each pass: GCC otherwise hoists all
// of them out of the loop, and with the accumulators holding the vector registers and the row
// pointers the general ones, spills them to the stack and reloads them on every use.
#if defined(__clang__) || defined(__GNUC__)
#define CONVKIT_UNROLL _Pragma("GCC unroll 32")
#define CONVKIT_UNROLL_DEPTH _Pragma("GCC unroll 4")
#define CONVKIT_PREFETCH_FOR_WRITE(address) __builtin_prefetch((address), 1)
#define CONVKIT_ALWAYS_INLINE inline __attribute__((always_inline))
#define CONVKIT_NOINLINE __attribute__((noinline))
#define CONVKIT_OPAQUE(value) asm("" : "+g"(value))
#else
#define CONVKIT_UNROLL
#define CONVKIT_UNROLL_DEPTH
#define CONVKIT_PREFETCH_FOR_WRITE(address)
#define CONVKIT_ALWAYS_INLINE __forceinline
#define CONVKIT_NOINLINE __declspec(noinline)
#define CONVKIT_OPAQUE(value)
#endif
