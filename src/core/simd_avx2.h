/*
 * simd_avx2.h: small AVX2 helpers shared by the AVX2 kernel files
 * (distances_avx2.cpp, flat_sq_avx2.cpp).  Include only from a file compiled
 * with -mavx2 -mfma (PGVQ_ISA_TU); the functions are internal to each file.
 */
#ifndef PGVQ_CORE_SIMD_AVX2_H
#define PGVQ_CORE_SIMD_AVX2_H

#include <immintrin.h>

#include "cpp_only.h"

namespace pgvq {
namespace {

/* Horizontal sum of the eight lanes (halves, then pairs, then the last two). */
inline float hsum(__m256 v) {
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

inline __m256 abs_ps(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

} // namespace
} // namespace pgvq

#endif /* PGVQ_CORE_SIMD_AVX2_H */
