/*
 * flat_sq_avx512.cpp: the first-pass kernel with AVX-512F/BW (see flat_sq.h).
 * Thirty-two codes per step (two 16-lane halves, two accumulators); the last
 * d % 16 codes and query values are read with zero-masking loads and their
 * terms are zeroed by mask, so no byte past d is read.
 */
#define PGVQ_ISA_TU
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "distances.h"
#include "flat_sq.h"
#include "simd_avx512.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

/* Sixteen codes as floats (zero-masking forms: GCC 12 warns about the others). */
inline __m512 codes_to_ps(__m128i c) {
    return _mm512_maskz_cvtepi32_ps((__mmask16)0xFFFF, _mm512_maskz_cvtepu8_epi32((__mmask16)0xFFFF, c));
}

inline __m512 codes16(const uint8_t *c) {
    return codes_to_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(c)));
}

template <int M> inline __m512 acc(__m512 a, __m512 q, __m512 y) {
    if (M == METRIC_L2) {
        const __m512 t = _mm512_sub_ps(q, y);
        return _mm512_fmadd_ps(t, t, a);
    }
    if (M == METRIC_L1)
        return _mm512_add_ps(a, abs_ps(_mm512_sub_ps(q, y)));
    return _mm512_fmadd_ps(q, y, a);
}

/* The same for the lanes of mask m only (the others add nothing). */
template <int M> inline __m512 acc_masked(__m512 a, __mmask16 m, __m512 q, __m512 y) {
    if (M == METRIC_L2) {
        const __m512 t = _mm512_maskz_sub_ps(m, q, y);
        return _mm512_fmadd_ps(t, t, a);
    }
    if (M == METRIC_L1)
        return _mm512_add_ps(a, abs_ps(_mm512_maskz_sub_ps(m, q, y)));
    return _mm512_fmadd_ps(_mm512_maskz_mov_ps(m, q), y, a);
}

template <int M> float entry_sum(const float *q, size_t d, float lo, float step, const uint8_t *c) {
    const size_t r = d % 16;
    const __mmask16 tail = (__mmask16)((1u << r) - 1u);
    const __m512 vlo = _mm512_set1_ps(lo), vstep = _mm512_set1_ps(step);
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    size_t j = 0;
    for (; j + 32 <= d; j += 32) {
        const __m512 y0 = _mm512_fmadd_ps(codes16(c + j), vstep, vlo);
        const __m512 y1 = _mm512_fmadd_ps(codes16(c + j + 16), vstep, vlo);
        a0 = acc<M>(a0, _mm512_loadu_ps(q + j), y0);
        a1 = acc<M>(a1, _mm512_loadu_ps(q + j + 16), y1);
    }
    if (j + 16 <= d) {
        a0 = acc<M>(a0, _mm512_loadu_ps(q + j), _mm512_fmadd_ps(codes16(c + j), vstep, vlo));
        j += 16;
    }
    if (r != 0) {
        const __m512 y = _mm512_fmadd_ps(codes_to_ps(_mm_maskz_loadu_epi8(tail, c + j)), vstep, vlo);
        a1 = acc_masked<M>(a1, tail, _mm512_maskz_loadu_ps(tail, q + j), y);
    }
    return hsum(_mm512_add_ps(a0, a1));
}

} // namespace

#define SQ_SUMS_NAME sq_sums_avx512
#include "flat_sq_entries.inc"

} // namespace pgvq
