/*
 * nearest_avx2.cpp: the fused nearest-centroid kernel for short vectors (see
 * nearest_small in distances.h), AVX2 + FMA.  Compiled with -mavx2 -mfma;
 * called only after the dispatcher chose the AVX2 level.
 *
 * Four rows at a time against one block of 16 centroids (two 8-lane halves):
 * accumulators of <x_r, c> by FMA over the dimensions in order, then
 * v = |c|^2 - 2 <x_r, c> and a per-lane running minimum with its index; the
 * same values as the AVX-512 kernel bit for bit.
 */
#define PGVQ_ISA_TU
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "distances.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

template <int R>
void nearest_rows(size_t d, const float *x, size_t ldx, size_t nblk, const float *cT,
                  const float *cn, float *best, int64_t *arg) {
    __m256 bv[R][2];
    __m256i bi[R][2];
    for (int r = 0; r < R; r++)
        for (int h = 0; h < 2; h++) {
            bv[r][h] = _mm256_set1_ps(__builtin_inff());
            bi[r][h] = _mm256_setzero_si256();
        }
    __m256i idx[2] = {_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                      _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15)};
    const __m256i step = _mm256_set1_epi32(16);
    const __m256 m2 = _mm256_set1_ps(-2.0f);
    for (size_t b = 0; b < nblk; b++) {
        const float *cb = cT + b * d * 16;
        __m256 acc[R][2];
        for (int r = 0; r < R; r++)
            acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        for (size_t s = 0; s < d; s++) {
            const __m256 c0 = _mm256_loadu_ps(cb + s * 16);
            const __m256 c1 = _mm256_loadu_ps(cb + s * 16 + 8);
            for (int r = 0; r < R; r++) {
                const __m256 xs = _mm256_broadcast_ss(x + r * ldx + s);
                acc[r][0] = _mm256_fmadd_ps(xs, c0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(xs, c1, acc[r][1]);
            }
        }
        for (int h = 0; h < 2; h++) {
            const __m256 n = _mm256_loadu_ps(cn + b * 16 + h * 8);
            for (int r = 0; r < R; r++) {
                const __m256 v = _mm256_fmadd_ps(m2, acc[r][h], n);
                const __m256 lt = _mm256_cmp_ps(v, bv[r][h], _CMP_LT_OQ);
                bv[r][h] = _mm256_blendv_ps(bv[r][h], v, lt);
                bi[r][h] = _mm256_castps_si256(_mm256_blendv_ps(
                    _mm256_castsi256_ps(bi[r][h]), _mm256_castsi256_ps(idx[h]), lt));
            }
            idx[h] = _mm256_add_epi32(idx[h], step);
        }
    }
    for (int r = 0; r < R; r++) {
        alignas(32) float v[16];
        alignas(32) int32_t i[16];
        _mm256_store_ps(v, bv[r][0]);
        _mm256_store_ps(v + 8, bv[r][1]);
        _mm256_store_si256(reinterpret_cast<__m256i *>(i), bi[r][0]);
        _mm256_store_si256(reinterpret_cast<__m256i *>(i + 8), bi[r][1]);
        /* No lane holds a NaN (a NaN never compares less). */
        lanes_argmin16(v, i, best + r, arg + r);
    }
}

/* Vector wrappers for nearest_tiny.inc. */
constexpr int kW = 8, kRegs = 16;
using Vec = __m256;
using IVec = __m256i;
using Mask = __m256;
inline Vec v_load(const float *p) { return _mm256_load_ps(p); }
inline Vec v_set1(float f) { return _mm256_set1_ps(f); }
inline Vec v_fmadd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Mask v_lt(Vec a, Vec b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
inline Vec v_min(Vec a, Vec b) { return _mm256_min_ps(a, b); }
inline IVec i_set1(int i) { return _mm256_set1_epi32(i); }
inline IVec i_add(IVec a, IVec b) { return _mm256_add_epi32(a, b); }
inline IVec i_select(Mask m, IVec yes, IVec no) {
    return _mm256_castps_si256(
        _mm256_blendv_ps(_mm256_castsi256_ps(no), _mm256_castsi256_ps(yes), m));
}
inline void v_store(float *p, Vec v) { _mm256_store_ps(p, v); }
inline void i_store(int32_t *p, IVec v) { _mm256_store_si256(reinterpret_cast<__m256i *>(p), v); }

#include "nearest_tiny.inc"

} // namespace

void nearest_small_avx2(size_t rows, size_t d, const float *x, size_t ldx, size_t k,
                        const float *cT, const float *cn, float *best, int64_t *arg) {
    const size_t nblk = (k + 15) / 16;
    size_t r = 0;
    for (; r + 4 <= rows; r += 4)
        nearest_rows<4>(d, x + r * ldx, ldx, nblk, cT, cn, best + r, arg + r);
    for (; r < rows; r++)
        nearest_rows<1>(d, x + r * ldx, ldx, nblk, cT, cn, best + r, arg + r);
}

void nearest_tiny_avx2(size_t rows, size_t d, const float *x, size_t ldx, size_t k,
                       const float *c, const float *cn, float *best, int64_t *arg) {
    nearest_tiny_impl(rows, d, x, ldx, k, c, cn, best, arg);
}

} // namespace pgvq
