/*
 * distances.cpp: run-time choice of the SIMD level and the non-ISA helpers.
 *
 * The level is picked from cpuid and XCR0 (cpu_features.h): AVX2 needs
 * AVX, FMA, F16C and the YMM state saved by the OS; AVX-512 needs F, DQ, BW,
 * VL and the opmask/ZMM state.
 */
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "cpu_features.h"
#include "distances.h"

#include "cpp_only.h"

namespace pgvq {

std::atomic<const DistanceKernels *> g_kernels{nullptr};

namespace {

std::atomic<int> g_supported{-1};

int detect_simd_level() noexcept {
    const CpuFeatures f = detect_cpu_features();
    if (!f.osxsave || !f.avx || !f.fma || !f.f16c)
        return SIMD_SCALAR;
    if ((f.xcr0 & XCR0_YMM) != XCR0_YMM)
        return SIMD_SCALAR;
    if (!f.avx2)
        return SIMD_SCALAR;
    if (f.avx512f && f.avx512dq && f.avx512bw && f.avx512vl && (f.xcr0 & XCR0_ZMM) == XCR0_ZMM)
        return SIMD_AVX512;
    return SIMD_AVX2;
}

const DistanceKernels *table_for(int level) noexcept {
    switch (level) {
    case SIMD_AVX512:
        return &kernels_avx512;
    case SIMD_AVX2:
        return &kernels_avx2;
    default:
        return &kernels_scalar;
    }
}

} // namespace

int simd_level_supported() noexcept {
    int s = g_supported.load(std::memory_order_relaxed);
    if (s < 0) {
        s = detect_simd_level();
        g_supported.store(s, std::memory_order_relaxed);
    }
    return s;
}

const DistanceKernels *init_kernels() noexcept {
    const DistanceKernels *expected = nullptr;
    const DistanceKernels *best = table_for(simd_level_supported());
    if (g_kernels.compare_exchange_strong(expected, best, std::memory_order_acq_rel))
        return best;
    return expected; /* someone chose first (pgvq_init or set_simd_level) */
}

int set_simd_level(int level) noexcept {
    int sup = simd_level_supported();
    if (level > sup)
        level = sup;
    if (level < SIMD_SCALAR)
        level = SIMD_SCALAR;
    g_kernels.store(table_for(level), std::memory_order_release);
    return level;
}

void fvec_norms_L2sqr(size_t n, size_t d, const float *x, float *out) noexcept {
    const DistanceKernels &k = kernels();
    for (size_t i = 0; i < n; i++)
        out[i] = k.norm_l2sqr(x + i * d, d);
}

float fvec_distance(int metric, const float *a, const float *b, size_t d) noexcept {
    const DistanceKernels &k = kernels();
    switch (metric) {
    case METRIC_L2:
        return k.l2sqr(a, b, d);
    case METRIC_IP:
        return -k.inner_product(a, b, d);
    case METRIC_COSINE: {
        float dot, na, nb;
        k.cosine_parts(a, b, d, &dot, &na, &nb);
        return cosine_distance_from_parts(dot, na, nb);
    }
    case METRIC_L1:
        return k.l1(a, b, d);
    default:
        return std::nanf("");
    }
}

double fvec_distance_f64(int metric, const float *a, const float *b, size_t d) noexcept {
    if (metric != METRIC_COSINE)
        return fvec_distance(metric, a, b, d);
    float dot, na, nb;
    kernels().cosine_parts(a, b, d, &dot, &na, &nb);
    return cosine_distance_f64(dot, na, nb);
}

void distances_1xn_f64(int metric, const float *q, size_t n, size_t d, const float *x,
                       double *out) noexcept {
    const DistanceKernels &k = kernels();
    if (metric == METRIC_COSINE) {
        for (size_t i = 0; i < n; i++) {
            float dot, na, nb;
            k.cosine_parts(q, x + i * d, d, &dot, &na, &nb);
            out[i] = cosine_distance_f64(dot, na, nb);
        }
        return;
    }
    /* the other metrics are float sums: widen the batched kernel's results */
    float buf[256];
    for (size_t i = 0; i < n; i += 256) {
        const size_t c = n - i < 256 ? n - i : 256;
        k.distances_1xn(metric, q, c, d, x + i * d, buf);
        for (size_t j = 0; j < c; j++)
            out[i + j] = buf[j];
    }
}

} // namespace pgvq
