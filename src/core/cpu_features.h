/*
 * cpu_features.h: the x86-64 features the core's run-time dispatchers
 * (distances.cpp, popcount.cpp) choose from, read from cpuid and XCR0.
 *
 * A feature bit alone is not enough: the OS must also save the register state
 * (XCR0: YMM for AVX2, opmask/ZMM for AVX-512) on context switches, so the
 * dispatchers check xcr0 as well.  __builtin_cpu_supports does not check
 * XCR0 for AVX-512 in every compiler version, so we read it ourselves.
 */
#ifndef PGVQ_CORE_CPU_FEATURES_H
#define PGVQ_CORE_CPU_FEATURES_H

#include <cstdint>

#include "cpp_only.h"

namespace pgvq {

struct CpuFeatures {
    /* cpuid leaf 1, ECX; all false when leaf 1 cannot be read */
    bool fma = false;
    bool popcnt = false;
    bool osxsave = false;
    bool avx = false;
    bool f16c = false;
    /* cpuid leaf 7, subleaf 0; all false when the CPU has no leaf 7 */
    bool avx2 = false;
    bool avx512f = false;
    bool avx512dq = false;
    bool avx512bw = false;
    bool avx512vl = false;
    bool avx512vpopcntdq = false;
    bool avx512vbmi = false;
    /* XCR0 (xgetbv 0); 0 without OSXSAVE, where xgetbv would fault */
    uint64_t xcr0 = 0;
};

/* XCR0 bits 1-2: SSE and the YMM upper halves saved by the OS. */
constexpr uint64_t XCR0_YMM = 0x6;
/* XCR0 bits 1-2 and 5-7: also opmask, ZMM0-15 upper halves, ZMM16-31. */
constexpr uint64_t XCR0_ZMM = 0xE6;

/* Reads the features (cpuid, xgetbv); callers cache what they derive. */
CpuFeatures detect_cpu_features() noexcept;

} // namespace pgvq

#endif /* PGVQ_CORE_CPU_FEATURES_H */
