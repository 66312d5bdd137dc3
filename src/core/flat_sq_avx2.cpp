/*
 * flat_sq_avx2.cpp: the first-pass kernel with AVX2 + FMA (see flat_sq.h).
 * Sixteen codes per step (two 8-lane halves, two accumulators); the last
 * d % 8 codes are summed one by one, so no byte past d is read.
 */
#define PGVQ_ISA_TU
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "distances.h"
#include "flat_sq.h"
#include "simd_avx2.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

/* Eight codes as floats. */
inline __m256 codes8(const uint8_t *c) {
    return _mm256_cvtepi32_ps(
        _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(c))));
}

template <int M> inline __m256 acc(__m256 a, __m256 q, __m256 y) {
    if (M == METRIC_L2) {
        const __m256 t = _mm256_sub_ps(q, y);
        return _mm256_fmadd_ps(t, t, a);
    }
    if (M == METRIC_L1)
        return _mm256_add_ps(a, _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(q, y)));
    return _mm256_fmadd_ps(q, y, a);
}

template <int M> float entry_sum(const float *q, size_t d, float lo, float step, const uint8_t *c) {
    const __m256 vlo = _mm256_set1_ps(lo), vstep = _mm256_set1_ps(step);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 16 <= d; j += 16) {
        const __m256 y0 = _mm256_fmadd_ps(codes8(c + j), vstep, vlo);
        const __m256 y1 = _mm256_fmadd_ps(codes8(c + j + 8), vstep, vlo);
        a0 = acc<M>(a0, _mm256_loadu_ps(q + j), y0);
        a1 = acc<M>(a1, _mm256_loadu_ps(q + j + 8), y1);
    }
    if (j + 8 <= d) {
        a0 = acc<M>(a0, _mm256_loadu_ps(q + j), _mm256_fmadd_ps(codes8(c + j), vstep, vlo));
        j += 8;
    }
    float tail = 0.0f;
    for (; j < d; j++)
        tail += sq_term<M>(q[j], lo + step * (float)c[j]);
    return hsum(_mm256_add_ps(a0, a1)) + tail;
}

} // namespace

#define SQ_SUMS_NAME sq_sums_avx2
#include "flat_sq_entries.inc"

} // namespace pgvq
