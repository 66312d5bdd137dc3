/*
 * simd_avx512.h: small AVX-512 helpers shared by the AVX-512 kernel files
 * (distances_avx512.cpp, flat_sq_avx512.cpp).  Include only from a file
 * compiled with the AVX-512 flags (PGVQ_ISA_TU); the functions are internal
 * to each file.
 */
#ifndef PGVQ_CORE_SIMD_AVX512_H
#define PGVQ_CORE_SIMD_AVX512_H

#include <immintrin.h>

#include "cpp_only.h"

namespace pgvq {
namespace {

/* Horizontal sum.  The zero-masking extracts avoid GCC 12's bogus
 * -Wuninitialized on _mm512_castps512_ps256 / _mm512_extractf64x4_pd. */
inline float hsum(__m512 v) {
    const __m512d vd = _mm512_castps_pd(v);
    __m256 h = _mm256_add_ps(_mm256_castpd_ps(_mm512_maskz_extractf64x4_pd((__mmask8)0xF, vd, 0)),
                             _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd((__mmask8)0xF, vd, 1)));
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

inline __m512 abs_ps(__m512 v) {
    return _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(0x7fffffff)));
}

} // namespace
} // namespace pgvq

#endif /* PGVQ_CORE_SIMD_AVX512_H */
