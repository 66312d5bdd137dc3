/*
 * cpu_features.cpp: cpuid and XCR0 read once per call (see cpu_features.h).
 */
#include <cpuid.h>

#include <cstdint>

#include "cpu_features.h"

#include "cpp_only.h"

namespace pgvq {

namespace {

uint64_t read_xcr0() noexcept {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}

} // namespace

CpuFeatures detect_cpu_features() noexcept {
    CpuFeatures f;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return f;
    f.fma = c & (1u << 12);
    f.popcnt = c & (1u << 23);
    f.osxsave = c & (1u << 27);
    f.avx = c & (1u << 28);
    f.f16c = c & (1u << 29);
    if (f.osxsave)
        f.xcr0 = read_xcr0();
    if (__get_cpuid_max(0, nullptr) < 7)
        return f;
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = b & (1u << 5);
    f.avx512f = b & (1u << 16);
    f.avx512dq = b & (1u << 17);
    f.avx512bw = b & (1u << 30);
    f.avx512vl = b & (1u << 31);
    f.avx512vbmi = c & (1u << 1);
    f.avx512vpopcntdq = c & (1u << 14);
    return f;
}

} // namespace pgvq
