// CPU feature detection and the process-wide choice of ISA. Built for the baseline ISA: it only
// reads the per-ISA kernel tables, and calls into one only after the checks below pass.
#if defined(_MSC_VER) && !defined(_CRT_SECURE_NO_WARNINGS)
#define _CRT_SECURE_NO_WARNINGS  // std::getenv is fine: read once, never stored
#endif

#include "kernels/isa/dispatch.h"

#include <chrono>
#include <cstdlib>

#if defined(__x86_64__) || defined(_M_X64)
#define CONVKIT_X86_64 1
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace convkit::kernels {
namespace {

struct CpuFeatures {
  bool avx2Fma = false;
  bool avx512f = false;
};

#if defined(CONVKIT_X86_64)

struct CpuidRegisters {
  uint32_t eax, ebx, ecx, edx;
};

CpuidRegisters cpuid(uint32_t leaf, uint32_t subleaf) {
#if defined(_MSC_VER)
  int regs[4];
  __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(subleaf));
  return {static_cast<uint32_t>(regs[0]), static_cast<uint32_t>(regs[1]), static_cast<uint32_t>(regs[2]),
          static_cast<uint32_t>(regs[3])};
#else
  CpuidRegisters r{};
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
#endif
}

// XCR0: which register states the OS saves on a context switch. The CPU flags alone do not make
// AVX usable; without OS support the first ymm or zmm instruction faults.
uint64_t extendedControlRegister0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  // Plain asm rather than _xgetbv, which GCC only offers to code compiled with -mxsave.
  uint32_t low = 0, high = 0;
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (static_cast<uint64_t>(high) << 32) | low;
#endif
}

bool bit(uint32_t value, int index) {
  return ((value >> index) & 1u) != 0;
}

CpuFeatures detectCpuFeatures() {
  CpuFeatures features;
  if (cpuid(0, 0).eax < 7) return features;
  const CpuidRegisters leaf1 = cpuid(1, 0);
  const bool osSavesExtendedState = bit(leaf1.ecx, 27);               // OSXSAVE: xgetbv is allowed
  if (!osSavesExtendedState || !bit(leaf1.ecx, 28)) return features;  // AVX
  const uint64_t xcr0 = extendedControlRegister0();
  const bool ymmState = (xcr0 & 0x6) == 0x6;    // SSE and AVX state
  const bool zmmState = (xcr0 & 0xe0) == 0xe0;  // opmask, upper zmm0-15, zmm16-31
  const CpuidRegisters leaf7 = cpuid(7, 0);
  features.avx2Fma = ymmState && bit(leaf7.ebx, 5) && bit(leaf1.ecx, 12);  // AVX2, FMA
  // The AVX-512 translation unit may also use AVX2 and FMA encodings, so it needs both.
  features.avx512f = features.avx2Fma && zmmState && bit(leaf7.ebx, 16);  // AVX512F
  return features;
}

#else

CpuFeatures detectCpuFeatures() {
  return {};
}

#endif

const CpuFeatures& cpuFeatures() {
  static const CpuFeatures features = detectCpuFeatures();
  return features;
}

// The table of an ISA this build carries, or nullptr. The per-ISA libraries are linked, and these
// macros defined, by the build (native/sources.txt tags) only on the architectures they target.
const IsaKernels* compiledKernels(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return &kScalarKernels;
    case Isa::Avx2:
#if defined(CONVKIT_HAVE_AVX2)
      return &kAvx2Kernels;
#else
      return nullptr;
#endif
    case Isa::Avx512:
#if defined(CONVKIT_HAVE_AVX512)
      return &kAvx512Kernels;
#else
      return nullptr;
#endif
    case Isa::Neon:
#if defined(CONVKIT_HAVE_NEON)
      return &kNeonKernels;  // baseline on arm64: nothing to check at run time
#else
      return nullptr;
#endif
  }
  return nullptr;
}

bool cpuRuns(Isa isa) {
  switch (isa) {
    case Isa::Avx2: return cpuFeatures().avx2Fma;
    case Isa::Avx512: return cpuFeatures().avx512f;
    case Isa::Scalar:
    case Isa::Neon: return true;
  }
  return false;
}

bool sameIgnoringCase(const char* a, const char* b) {
  for (; *a != '\0' && *b != '\0'; ++a, ++b) {
    const char lowerA = (*a >= 'A' && *a <= 'Z') ? static_cast<char>(*a - 'A' + 'a') : *a;
    if (lowerA != *b) return false;
  }
  return *a == *b;
}

Isa chooseIsa() {
  Isa best = Isa::Scalar;
  for (Isa isa : kAllIsas) {
    if (isaAvailable(isa)) best = isa;  // kAllIsas runs from the narrowest to the widest
  }
  const char* requested = std::getenv("CONVKIT_ISA");
  if (requested == nullptr) return best;
  for (Isa isa : kAllIsas) {
    if (sameIgnoringCase(requested, isaName(isa)) && isaAvailable(isa)) return isa;
  }
  return best;
}

}  // namespace

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    case Isa::Neon: return "neon";
  }
  return "unknown";
}

bool isaAvailable(Isa isa) {
  return compiledKernels(isa) != nullptr && cpuRuns(isa);
}

const IsaKernels* kernelsFor(Isa isa) {
  return isaAvailable(isa) ? compiledKernels(isa) : nullptr;
}

Isa activeIsa() {
  static const Isa chosen = chooseIsa();
  return chosen;
}

const IsaKernels& activeKernels() {
  static const IsaKernels& kernels = *compiledKernels(activeIsa());
  return kernels;
}

double measurePeakFlops(Isa isa, double seconds) {
  const IsaKernels* kernels = kernelsFor(isa);
  if (kernels == nullptr) return 0.0;
  using Clock = std::chrono::steady_clock;
  // scale < 1 and a small offset keep every chain finite and normal (see simdMultiplyAddLoop).
  auto run = [&](int64_t rounds, double* flops) {
    float sink[3] = {0.999f, 1e-3f, 0.5f};
    const Clock::time_point start = Clock::now();
    *flops = kernels->multiplyAddLoop(rounds, sink);
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  // Grow the round count until one run takes a tenth of the budget, then time the rest.
  int64_t rounds = 1 << 12;
  double flops = 0.0;
  double elapsed = run(rounds, &flops);
  while (elapsed < seconds / 10 && rounds < (int64_t{1} << 40)) {
    rounds *= 2;
    elapsed = run(rounds, &flops);
  }
  const int64_t timedRounds =
      static_cast<int64_t>(static_cast<double>(rounds) * seconds * 0.9 / (elapsed > 0.0 ? elapsed : 1e-9));
  elapsed = run(timedRounds > rounds ? timedRounds : rounds, &flops);
  return elapsed > 0.0 ? flops / elapsed : 0.0;
}

}  // namespace convkit::kernels
